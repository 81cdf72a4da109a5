# Latchkey's own words in the SMTP check's answer column and in the failure's detail
# (`src/mail/client.rs`, `src/mail/client/*.rs`), and the OAuth token client's errors and hints
# (`src/mail/oauth/token.rs`). What a server, the operating system or a provider said is
# quoted inside them as it came.

## Der SMTP-Client

smtp-offered-none = keine
smtp-reply-timed-out = Zeitüberschreitung
smtp-reply-no-starttls = STARTTLS nicht angeboten
smtp-reply-tls-established = TLS aufgebaut ({ $version }), Zertifikat für { $host } geprüft
smtp-reply-token-received = Zugriffstoken erhalten (gültig für { $secs } s)
smtp-reply-token-cached = Zugriffstoken aus dem Zwischenspeicher (noch { $secs } s gültig)
smtp-io-write-timed-out = Zeitüberschreitung beim Senden an den Server
smtp-io-reply-timed-out = Zeitüberschreitung beim Warten auf die Antwort des Servers
smtp-io-closed = der Server hat die Verbindung geschlossen
smtp-io-not-smtp = die Antwort des Servers ist keine SMTP-Antwort (ist das ein SMTP-Port?)
smtp-io-too-long = die Antwort des Servers ist zu lang
smtp-err-extra-ca-pem = das zusätzliche CA-Zertifikat ist kein gültiges PEM: { $error }
smtp-err-extra-ca-unusable = das zusätzliche CA-Zertifikat kann nicht verwendet werden: { $error }
smtp-err-extra-ca-empty = das Feld für das zusätzliche CA-Zertifikat enthält kein Zertifikat
smtp-err-connection-failed = Verbindung fehlgeschlagen: { $error }
smtp-err-connect-timed-out = Zeitüberschreitung beim Verbindungsaufbau
smtp-err-no-starttls = der Server bietet kein STARTTLS an
smtp-err-data-before-tls = der Server hat vor dem TLS-Handshake Daten gesendet
smtp-err-tls-name = „{ $host }“ ist kein gültiger Hostname für TLS
smtp-err-tls-failed = TLS-Handshake fehlgeschlagen: { $error }
smtp-err-tls-timed-out = Zeitüberschreitung beim TLS-Handshake
smtp-err-no-password = kein Passwort eingerichtet
smtp-err-no-mechanism = kein unterstütztes AUTH-Verfahren (angeboten: { $offered })
smtp-err-build = die Nachricht konnte nicht erstellt werden: { $error }
smtp-err-no-data-reply = keine Antwort auf DATA
smtp-err-oauth-not-offered = AUTH { $mechanism } wird nicht angeboten (angeboten: { $offered })
smtp-err-operator-endpoint = für diesen Server darf nur der Token-Endpunkt des Anbieters selbst verwendet werden
smtp-err-oauth-mailbox = kein verwendbares Postfach für die Anmeldung

## Der OAuth-2.0-Token-Client

oauth-err-not-oauth = keine OAuth-Anmeldung
oauth-err-key-unusable = { $what ->
    [certificate-key] der private Schlüssel des Zertifikats
   *[service-account-key] der Dienstkonto-Schlüssel
} kann nicht verwendet werden: { $error }
oauth-err-no-certificate = kein Zertifikat zum privaten Schlüssel
oauth-err-client-assertion = das Signieren der Client-Assertion ist fehlgeschlagen: { $error }
oauth-err-no-secret = kein Client-Geheimnis (und kein Zertifikatsschlüssel) eingerichtet
oauth-err-no-service-key = kein Dienstkonto-Schlüssel eingerichtet
oauth-err-service-key-json = der Dienstkonto-Schlüssel ist keine JSON-Schlüsseldatei: { $error }
oauth-err-no-service-address = die E-Mail-Adresse des Dienstkontos ist nicht eingerichtet
oauth-err-service-address-differs = die Client-ID „{ $client }“ ist nicht das Dienstkonto, zu dem dieser JSON-Schlüssel gehört ({ $email })
oauth-err-service-address-not-email = die Client-ID „{ $client }“ ist nicht die E-Mail-Adresse des Dienstkontos
oauth-err-assertion = das Signieren der Assertion ist fehlgeschlagen: { $error }
oauth-err-http-client = HTTP-Client: { $error }
oauth-err-unreachable = der Token-Endpunkt ist nicht erreichbar: { $error }
oauth-err-not-json = HTTP { $status }, aber die Antwort ist kein Token (JSON erwartet)
oauth-err-no-access-token = HTTP { $status }, aber die Antwort enthält kein access_token
oauth-hint-rsa-pem = Fügen Sie den privaten RSA-Schlüssel im PEM-Format ein (-----BEGIN PRIVATE KEY-----…).
oauth-hint-certificate = Fügen Sie neben dem privaten Schlüssel das Zertifikat ein, das Sie bei der App hochgeladen haben (PEM).
oauth-hint-check-key = Prüfen Sie den privaten Schlüssel.
oauth-hint-secret = Geben Sie den Wert des Client-Geheimnisses ein (oder, bei Microsoft, das Zertifikat und seinen privaten Schlüssel).
oauth-hint-service-key = Fügen Sie die JSON-Schlüsseldatei des Dienstkontos (oder seinen privaten Schlüssel) ein.
oauth-hint-service-key-json = Fügen Sie die vollständige JSON-Schlüsseldatei ein, die Sie in Google Cloud heruntergeladen haben (IAM → Dienstkonten → Schlüssel).
oauth-hint-service-address = Geben Sie die E-Mail-Adresse des Dienstkontos als Client-ID ein, oder fügen Sie die JSON-Schlüsseldatei ein.
oauth-hint-service-address-json = Lassen Sie die Client-ID leer: Der JSON-Schlüssel nennt sein Dienstkonto (seine numerische eindeutige ID gehört nur in die domainweite Delegierung der Google Admin-Konsole).
oauth-hint-check-service-key = Prüfen Sie den Dienstkonto-Schlüssel.
oauth-hint-extra-ca = Korrigieren oder entfernen Sie das zusätzliche CA-Zertifikat.
oauth-hint-timeout = Keine Antwort von { $url } innerhalb von { $secs } s; Latchkey versucht es später erneut.
oauth-hint-unreachable = Prüfen Sie die Authority (den Anmelde-Host) und ob dieser Server sie über HTTPS erreichen darf; verwendet sie eine interne CA, tragen Sie diese als zusätzliches CA-Zertifikat ein.
oauth-hint-token-url = Prüfen Sie die Token-URL: Es muss der OAuth-2.0-Token-Endpunkt des Anbieters sein.
oauth-hint-wrong-secret = Das Client-Geheimnis ist falsch. Erstellen Sie im Entra Admin Center → App-Registrierungen → die App → Zertifikate & Geheimnisse ein neues Client-Geheimnis und geben Sie seinen Wert ein (nicht seine Geheimnis-ID).
oauth-hint-expired-secret = Das Client-Geheimnis ist abgelaufen. Erstellen Sie unter „Zertifikate & Geheimnisse“ der App ein neues und geben Sie seinen Wert ein.
oauth-hint-unknown-app = In diesem Verzeichnis gibt es keine Anwendung mit dieser Anwendungs-ID (Client-ID). Prüfen Sie die Client-ID und ob die App in dem eingegebenen Mandanten registriert ist.
oauth-hint-unknown-tenant = Diesen Mandanten gibt es nicht. Geben Sie die Verzeichnis-ID (Mandanten-ID) von der Übersichtsseite der App oder die Domain der Organisation ein.
oauth-hint-assertion-refused = Die Client-Assertion wurde abgelehnt: Laden Sie dieses Zertifikat bei der App hoch (Zertifikate & Geheimnisse → Zertifikate) und prüfen Sie, ob der private Schlüssel dazu gehört.
oauth-hint-bad-scope-exchange = Der Scope ist ungültig: Für Exchange Online verwenden Sie https://outlook.office365.com/.default (lassen Sie den Scope leer).
oauth-hint-app-disabled = Die Anwendung ist in diesem Verzeichnis deaktiviert; ein Entra-Administrator muss sie aktivieren.
oauth-hint-google-delegation = Für dieses Dienstkonto und diesen Scope ist keine domainweite Delegierung erteilt. Fügen Sie in der Google Admin-Konsole → Sicherheit → Zugriffs- und Datenverwaltung → API-Steuerung → Domainweite Delegierung verwalten die Client-ID des Dienstkontos mit dem Scope https://mail.google.com/ hinzu.
oauth-hint-google-signature = Google akzeptiert die Signatur des Schlüssels nicht: Der Schlüssel wurde gelöscht oder gehört zu einem anderen Dienstkonto. Erstellen Sie einen neuen JSON-Schlüssel und fügen Sie ihn ein.
oauth-hint-google-grant = Google hat die Assertion abgelehnt: Die Absenderadresse muss ein Benutzer (oder Alias) der Workspace-Domain sein, und die Uhr dieses Rechners muss stimmen.
oauth-hint-invalid-client = Client-ID oder Client-Geheimnis sind falsch, oder das Geheimnis wurde widerrufen. Prüfen Sie beides und geben Sie das Geheimnis erneut ein.
oauth-hint-invalid-scope = Der Token-Endpunkt kennt diesen Scope nicht. Prüfen Sie den Scope, oder lassen Sie ihn leer für die Voreinstellung des Anbieters.
oauth-hint-busy = Der Token-Endpunkt ist überlastet oder gestört; Latchkey versucht es später erneut.
oauth-hint-refused = Der Token-Endpunkt hat die Anfrage abgelehnt: Prüfen Sie Client-ID, Geheimnis oder Schlüssel und den Mandanten.

## Latchkeys Anmerkungen in der Spalte „Gesendet“, wo es sagt, was es gesendet hat, statt es
## zu zitieren. Die Anfragezeile selbst (`POST { $url }`) steht so da, wie sie gesendet wurde.

smtp-sent-message = (Nachricht)
smtp-sent-token-request = POST { $url } ({ $how ->
    [certificate] Client-Credentials, Zertifikat
    [client-secret] Client-Credentials, Client-Geheimnis
    [service-account] Dienstkonto, domänenweite Delegierung
   *[other] {""}
})

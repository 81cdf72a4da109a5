# „Passwort und Anmeldung“: die eigene Seite der angemeldeten Person.

account-title = Passwort und Anmeldung
account-must-change = Sie müssen Ihr Passwort ändern, bevor Sie fortfahren.
account-yours = Ihr Konto
account-username = Benutzername
account-name = Name
account-email = E-Mail-Adresse
account-reset-email = E-Mail-Adresse für das Zurücksetzen des Passworts
account-change-password = Passwort ändern
account-current-password = Aktuelles Passwort
account-new-password = Neues Passwort
account-new-password-again = Neues Passwort wiederholen
account-reset-email-hint = Wenn Sie Ihr Passwort vergessen, geht der Link zum Festlegen eines neuen an diese Adresse. Lassen Sie das Feld leer, um sie zu entfernen.
account-save-address = Adresse speichern
account-sessions = Wo Sie angemeldet sind
account-signed-in = Angemeldet
account-last-active = Zuletzt aktiv
account-from = Von
account-browser = Browser
account-action = Aktion
account-this-browser = Dieser Browser
account-sign-out = Abmelden
account-sign-out-others = Überall sonst abmelden
account-preferences = Sprache und Zeitzone
account-language = Sprache
account-language-default = Die Sprache der Organisation
account-time-zone = Zeitzone für angezeigte Zeiten
account-time-zone-default = Die Zeitzone der Organisation ({ $zone })
account-save-preferences = Speichern
account-preferences-saved = Ihre Sprache und Zeitzone wurden gespeichert.
account-password-changed = Ihr Passwort wurde geändert. Ihre anderen Sitzungen wurden abgemeldet.
account-reset-email-saved = Die E-Mail-Adresse für das Zurücksetzen des Passworts wurde gespeichert.
account-must-change-first = Bitte wählen Sie ein neues Passwort, bevor Sie fortfahren.
account-choose-session = Wählen Sie eine Sitzung zum Abmelden.
account-sessions-ended = Die ausgewählten Sitzungen wurden abgemeldet.

# Browser und System einer Sitzung, aus ihrem User-Agent.
device-browser-on-os = { $browser } unter { $os }
device-browser = { $browser }
device-unknown-on-os = Ein Browser unter { $os }
device-unknown = Ein unbekannter Browser

# Die Seite nach der Anmeldung mit einem vorläufigen Passwort (oder wenn die Administration ein neues verlangt).
new-password-title = Eigenes Passwort wählen
new-password-temporary = Vorläufiges oder aktuelles Passwort
new-password-submit = Mein Passwort speichern

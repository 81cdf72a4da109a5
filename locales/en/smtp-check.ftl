# Latchkey's own words in the SMTP check's answer column and in the failure's detail
# (`src/mail/client.rs`, `src/mail/client/*.rs`), and the OAuth token client's errors and hints
# (`src/mail/oauth/token.rs`). What a server, the operating system or a provider said is
# quoted inside them as it came.

## The SMTP client

smtp-offered-none = none
smtp-reply-timed-out = timed out
smtp-reply-no-starttls = STARTTLS not offered
smtp-reply-tls-established = TLS established ({ $version }), certificate verified for { $host }
smtp-reply-token-received = access token received (valid for { $secs } s)
smtp-reply-token-cached = access token from the cache (good for another { $secs } s)
smtp-io-write-timed-out = timed out writing to the server
smtp-io-reply-timed-out = timed out waiting for the server's reply
smtp-io-closed = the server closed the connection
smtp-io-not-smtp = the server's answer is not an SMTP reply (is this an SMTP port?)
smtp-io-too-long = the server's reply is too long
smtp-err-extra-ca-pem = the extra CA certificate is not valid PEM: { $error }
smtp-err-extra-ca-unusable = the extra CA certificate can't be used: { $error }
smtp-err-extra-ca-empty = the extra CA certificate field holds no certificate
smtp-err-connection-failed = connection failed: { $error }
smtp-err-connect-timed-out = connection timed out
smtp-err-no-starttls = the server does not offer STARTTLS
smtp-err-data-before-tls = the server sent data before the TLS handshake
smtp-err-tls-name = `{ $host }` is not a valid host name for TLS
smtp-err-tls-failed = TLS handshake failed: { $error }
smtp-err-tls-timed-out = TLS handshake timed out
smtp-err-no-password = no password configured
smtp-err-no-mechanism = no supported AUTH mechanism (offered: { $offered })
smtp-err-build = the message could not be built: { $error }
smtp-err-no-data-reply = no reply to DATA
smtp-err-oauth-not-offered = AUTH { $mechanism } is not offered (offered: { $offered })
smtp-err-operator-endpoint = only the provider's own token endpoint may be used for this server
smtp-err-oauth-mailbox = no usable mailbox to sign in as

## The OAuth 2.0 token client

oauth-err-not-oauth = not an OAuth sign-in
oauth-err-key-unusable = the { $what ->
    [certificate-key] certificate's private key
   *[service-account-key] service account key
} can't be used: { $error }
oauth-err-no-certificate = no certificate to go with the private key
oauth-err-client-assertion = signing the client assertion failed: { $error }
oauth-err-no-secret = no client secret (or certificate key) is set
oauth-err-no-service-key = no service account key is set
oauth-err-service-key-json = the service account key is not a JSON key file: { $error }
oauth-err-no-service-address = the service account's e-mail address is not set
oauth-err-service-address-differs = the client id `{ $client }` is not the service account this JSON key belongs to ({ $email })
oauth-err-service-address-not-email = the client id `{ $client }` is not the service account's e-mail address
oauth-err-assertion = signing the assertion failed: { $error }
oauth-err-http-client = HTTP client: { $error }
oauth-err-unreachable = the token endpoint could not be reached: { $error }
oauth-err-not-json = HTTP { $status }, but the answer is not a token (JSON expected)
oauth-err-no-access-token = HTTP { $status }, but the answer holds no access_token
oauth-hint-rsa-pem = Paste the RSA private key in PEM form (-----BEGIN PRIVATE KEY-----…).
oauth-hint-certificate = Paste the certificate you uploaded to the app (PEM) next to its private key.
oauth-hint-check-key = Check the private key.
oauth-hint-secret = Enter the client secret's value (or, for Microsoft, the certificate and its private key).
oauth-hint-service-key = Paste the service account's JSON key file (or its private key).
oauth-hint-service-key-json = Paste the whole JSON key file downloaded from Google Cloud (IAM → Service accounts → Keys).
oauth-hint-service-address = Enter the service account's e-mail address as the client id, or paste the JSON key file.
oauth-hint-service-address-json = Leave the client id empty: the JSON key names its service account (its numeric Unique ID is only for the domain-wide delegation in the Google Admin console).
oauth-hint-check-service-key = Check the service account key.
oauth-hint-extra-ca = Fix or remove the extra CA certificate.
oauth-hint-timeout = No answer from { $url } within { $secs } s; Latchkey tries again later.
oauth-hint-unreachable = Check the authority (login host) and that this server may reach it over HTTPS; if it uses an internal CA, add it as the extra CA certificate.
oauth-hint-token-url = Check the token URL: it must be the provider's OAuth 2.0 token endpoint.
oauth-hint-wrong-secret = The client secret is wrong. In the Entra admin center → App registrations → the app → Certificates & secrets, create a new client secret and enter its Value (not its Secret ID).
oauth-hint-expired-secret = The client secret has expired. Create a new one under the app's Certificates & secrets and enter its Value.
oauth-hint-unknown-app = No application with this Application (client) ID exists in this directory. Check the client ID, and that the app is registered in the tenant entered.
oauth-hint-unknown-tenant = This tenant does not exist. Enter the Directory (tenant) ID from the app's Overview page, or the organisation's domain.
oauth-hint-assertion-refused = The client assertion was refused: upload this certificate to the app (Certificates & secrets → Certificates) and check that the private key belongs to it.
oauth-hint-bad-scope-exchange = The scope is invalid: for Exchange Online use https://outlook.office365.com/.default (leave the scope empty).
oauth-hint-app-disabled = The application is disabled in this directory; an Entra administrator must enable it.
oauth-hint-google-delegation = Domain-wide delegation is not granted for this service account and scope. In the Google Admin console → Security → Access and data control → API controls → Manage domain-wide delegation, add the service account's client ID with the scope https://mail.google.com/.
oauth-hint-google-signature = Google does not accept the key's signature: the key was deleted or belongs to another service account. Create a new JSON key and paste it.
oauth-hint-google-grant = Google refused the assertion: the sender address must be a user (or alias) in the Workspace domain, and the machine's clock must be right.
oauth-hint-invalid-client = The client id or client secret is wrong, or the secret was revoked. Check both and enter the secret again.
oauth-hint-invalid-scope = The token endpoint does not know this scope. Check the scope, or leave it empty for the provider's default.
oauth-hint-busy = The token endpoint is busy or failing; Latchkey tries again later.
oauth-hint-refused = The token endpoint refused the request: check the client id, the secret or key, and the tenant.

## Latchkey's notes in the "Sent" column, where it says what it sent instead of quoting it.
## The request line itself (`POST { $url }`) is as sent.

smtp-sent-message = (message)
smtp-sent-token-request = POST { $url } ({ $how ->
    [certificate] client credentials, certificate
    [client-secret] client credentials, client secret
    [service-account] service account, domain-wide delegation
   *[other] {""}
})

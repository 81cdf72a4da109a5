# "Password and login": the signed-in person's own page.

account-title = Password and login
account-must-change = Your password must be changed before you continue.
account-yours = Your account
account-username = Username
account-name = Name
account-email = E-mail address
account-reset-email = E-mail address for password reset
account-change-password = Change password
account-current-password = Current password
account-new-password = New password
account-new-password-again = New password again
account-reset-email-hint = If you forget your password, the link to choose a new one goes to this address. Leave it empty to remove it.
account-save-address = Save address
account-sessions = Where you are signed in
account-signed-in = Signed in
account-last-active = Last active
account-from = From
account-browser = Browser
account-action = Action
account-this-browser = This browser
account-sign-out = Sign out
account-sign-out-others = Sign out everywhere else
account-preferences = Language and time zone
account-language = Language
account-language-default = The organisation's language
account-time-zone = Time zone for times shown to you
account-time-zone-default = The organisation's time zone ({ $zone })
account-save-preferences = Save
account-preferences-saved = Your language and time zone were saved.
account-password-changed = Your password was changed. Your other sessions have been signed out.
account-reset-email-saved = The e-mail address for password reset was saved.
account-must-change-first = Please choose a new password before you continue.
account-choose-session = Choose a session to sign out.
account-sessions-ended = The selected sessions were signed out.

# A session's browser and system, from its User-Agent.
device-browser-on-os = { $browser } on { $os }
device-browser = { $browser }
device-unknown-on-os = A browser on { $os }
device-unknown = An unknown browser

# The page after signing in with a temporary password (or when an administrator asked for a new one).
new-password-title = Choose your own password
new-password-temporary = Temporary or current password
new-password-submit = Save my password

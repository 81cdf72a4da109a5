//! Which address mail about a password reset goes to. Self-service mail and the link it
//! carries follow the tenant's setting; mail an administrator sends doesn't.

/// Self-service reset mail: the account's reset address, or (if the tenant allows it) its
/// primary one. `None` means no mail can be sent.
pub fn reset_address<'a>(
    reset_email: Option<&'a str>,
    email: Option<&'a str>,
    fallback_to_primary: bool,
) -> Option<&'a str> {
    reset_email.or(email.filter(|_| fallback_to_primary))
}

/// Mail an administrator sends (campaigns): the reset address, else the primary one, whatever
/// the tenant's setting.
pub fn admin_address<'a>(reset_email: Option<&'a str>, email: Option<&'a str>) -> Option<&'a str> {
    reset_email.or(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESET: Option<&str> = Some("r@example.org");
    const PRIMARY: Option<&str> = Some("p@example.org");

    #[test]
    fn self_service_prefers_the_reset_address_and_falls_back_only_if_allowed() {
        assert_eq!(reset_address(RESET, PRIMARY, false), RESET);
        assert_eq!(reset_address(RESET, PRIMARY, true), RESET);
        assert_eq!(reset_address(None, PRIMARY, false), None);
        assert_eq!(reset_address(None, PRIMARY, true), PRIMARY);
        assert_eq!(reset_address(RESET, None, false), RESET);
        assert_eq!(reset_address(None, None, true), None);
    }

    #[test]
    fn admin_mail_uses_the_primary_address_without_a_reset_one() {
        assert_eq!(admin_address(RESET, PRIMARY), RESET);
        assert_eq!(admin_address(None, PRIMARY), PRIMARY);
        assert_eq!(admin_address(RESET, None), RESET);
        assert_eq!(admin_address(None, None), None);
    }
}

package oidc

// Error codes of OpenID Connect sign-in, as the HTTP API and the auth_error fragment name them.
const (
	CodeState               = "oidc_state"           // state missing, unknown, expired, used, or not bound to this browser
	CodeDenied              = "oidc_denied"          // the provider answered error=
	CodeFailed              = "oidc_failed"          // code exchange or ID token refused
	CodeIdentityTaken       = "identity_taken"       // linking an identity another account holds
	CodeLastLoginMethod     = "last_login_method"    // unlinking the account's only way in
	CodeProviderUnavailable = "provider_unavailable" // the provider's discovery document cannot be had
)

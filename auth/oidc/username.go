package oidc

import (
	"crypto/rand"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// UsernameFor is the name a first login's account is given: preferred_username, else name,
// else the email's local part, reduced to the username rules (3 to 32 of A-Z a-z 0-9 _ -).
// Letters with accents lose them, other characters become '-', runs of '-' shrink to one;
// what is left shorter than 3 becomes "player". attempt 0 gives the name itself; a later
// attempt (when the name is taken) adds a random suffix, staying within 32 characters.
func UsernameFor(c Claims, attempt int) string {
	base := ""
	for _, v := range []string{c.PreferredUsername, c.Name, localPart(c.Email)} {
		if base = clean(v); len(base) >= 3 {
			break
		}
	}
	if len(base) < 3 {
		base = "player"
	}
	if attempt == 0 {
		return base
	}
	suffix := "-" + strings.ToLower(rand.Text()[:5])
	if len(base) > 32-len(suffix) {
		base = strings.TrimRight(base[:32-len(suffix)], "-_")
	}
	return base + suffix
}

func localPart(email string) string {
	if i := strings.LastIndexByte(email, '@'); i > 0 {
		return email[:i]
	}
	return ""
}

func clean(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue // a combining accent
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'):
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 32 {
			break
		}
	}
	return strings.Trim(b.String()[:min(b.Len(), 32)], "-")
}

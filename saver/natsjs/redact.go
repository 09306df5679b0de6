package natsjs

import (
	"net/url"
	"strings"
)

// redactURLs returns the comma-separated server URLs with any password or
// token replaced, so that errors and logs never carry credentials: a user
// and password keep the user, a token (a user without password) is hidden
// whole.
func redactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		parts[i] = redactURL(strings.TrimSpace(p))
	}
	return strings.Join(parts, ",")
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err == nil && u.User == nil {
		return s
	}
	if err != nil || u.Host == "" {
		// Not parseable as a URL: hide whatever precedes an '@'.
		if at := strings.LastIndex(s, "@"); at >= 0 {
			scheme := ""
			if i := strings.Index(s, "://"); i >= 0 && i < at {
				scheme = s[:i+3]
			}
			return scheme + "xxxxx@" + s[at+1:]
		}
		return s
	}
	if _, hasPass := u.User.Password(); hasPass {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	} else {
		u.User = url.User("xxxxx")
	}
	return u.String()
}

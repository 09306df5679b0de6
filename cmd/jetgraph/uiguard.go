package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// guard wraps the UI's routes with what a loopback server needs against
// other web pages in the same browser: a Host that names a loopback
// address (against DNS rebinding), no cross-origin writes (CSRF), and
// JSON bodies only on writes. Under /api/, a method the API does not
// have gets a JSON 405.
func guard(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host) {
			writeAPIError(w, http.StatusForbidden, fmt.Errorf("host %q is not a loopback address: open the page at http://127.0.0.1:PORT/", r.Host))
			return
		}
		if err := cop.Check(r); err != nil {
			writeAPIError(w, http.StatusForbidden, fmt.Errorf("cross-origin request refused: %w", err))
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			switch r.Method {
			case http.MethodGet, http.MethodHead:
			case http.MethodPost:
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					writeAPIError(w, http.StatusUnsupportedMediaType, errors.New("send the body as Content-Type: application/json"))
					return
				}
			default:
				w.Header().Set("Allow", "GET, HEAD, POST")
				writeAPIError(w, http.StatusMethodNotAllowed, fmt.Errorf("method %s: the API has GET and POST", r.Method))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names a loopback address.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Package ui holds the web page "jetgraph ui" serves: plain HTML, CSS and
// JavaScript embedded in the binary, with no build step and nothing
// fetched from elsewhere, so that the page works offline. The page reads
// and writes threads through the JSON API under /api/ that the command
// serves beside it.
package ui

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Assets returns the page's files: index.html, app.js and app.css at the
// root.
func Assets() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}

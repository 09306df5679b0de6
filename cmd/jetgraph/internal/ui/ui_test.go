package ui

import (
	"io/fs"
	"regexp"
	"testing"
)

// The page is whole in the binary: every file it loads is embedded, and
// nothing refers to another host, so that it works offline.
func TestAssetsLoadNothingFromElsewhere(t *testing.T) {
	t.Parallel()
	assets := Assets()
	remote := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import|url\(\s*["']?(https?:)?//|fetch\(\s*["']https?:`)
	local := regexp.MustCompile(`(?:src|href)="([^"#]+)"`)
	for _, name := range []string{"index.html", "app.js", "app.css"} {
		b, err := fs.ReadFile(assets, name)
		if err != nil {
			t.Fatalf("%s is not embedded: %v", name, err)
		}
		if m := remote.Find(b); m != nil {
			t.Errorf("%s loads from another host: %q", name, m)
		}
		if name != "index.html" {
			continue
		}
		for _, m := range local.FindAllSubmatch(b, -1) {
			if _, err := fs.Stat(assets, string(m[1])); err != nil {
				t.Errorf("index.html loads %s, which is not embedded", m[1])
			}
		}
	}
}

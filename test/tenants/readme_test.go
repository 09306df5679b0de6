package tenants_test

import (
	"os"
	"strings"
	"testing"
)

// indent indents every non-empty line by four spaces, as a Markdown code
// block.
func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "    " + l
		}
	}
	return strings.Join(lines, "\n")
}

// The README's Security section shows the permission set as the file has
// it: tenant a's block with the file's header, and the users.
func TestREADMEShowsThePermissionFile(t *testing.T) {
	t.Parallel()
	conf, err := os.ReadFile(confFile)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	c := string(conf)
	start := strings.Index(c, "TENANT_A = {")
	end := strings.Index(c[max(start, 0):], "\n}\n")
	users := strings.Index(c, "authorization {")
	if start < 0 || end < 0 || users < 0 || !strings.Contains(c, "TENANT_B = {") {
		t.Fatalf("%s lacks TENANT_A, TENANT_B or the authorization block", confFile)
	}
	for _, part := range []string{c[:start+end+2], strings.TrimRight(c[users:], "\n")} {
		if !strings.Contains(string(readme), indent(part)) {
			t.Errorf("README.md does not show this part of %s as it is:\n%s", confFile, part)
		}
	}
}

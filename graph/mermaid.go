package graph

import (
	"fmt"
	"strings"
)

// Mermaid draws the graph as a Mermaid flowchart, like LangGraph's
// draw_mermaid: solid arrows for edges, dotted arrows for conditional and
// Send edges (to every node when the edge does not list its ends), and
// "join" labels on edges that wait for several nodes.
func (c *Graph[S]) Mermaid() string {
	var b strings.Builder
	b.WriteString("---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n")
	fmt.Fprintf(&b, "\t%s([<p>%s</p>]):::first\n", mermaidID(START), START)
	for _, n := range c.names {
		fmt.Fprintf(&b, "\t%s(%s)\n", mermaidID(n), n)
	}
	var lines []string
	toEnd := false
	add := func(from, to, arrow string) {
		toEnd = toEnd || to == END
		lines = append(lines, fmt.Sprintf("\t%s %s %s;\n", mermaidID(from), arrow, mermaidID(to)))
	}
	for _, from := range append([]string{START}, c.names...) {
		for _, to := range c.edges[from] {
			add(from, to, "-->")
		}
		for _, br := range c.branches[from] {
			ends := br.ends
			if len(ends) == 0 {
				ends = append(append([]string(nil), c.names...), END)
			}
			for _, to := range ends {
				add(from, to, "-.->")
			}
		}
	}
	for _, j := range c.joins {
		for _, from := range j.from {
			add(from, j.to, "-- join -->")
		}
	}
	if toEnd {
		fmt.Fprintf(&b, "\t%s([<p>%s</p>]):::last\n", mermaidID(END), END)
	}
	for _, l := range lines {
		b.WriteString(l)
	}
	b.WriteString("\tclassDef default fill:#f2f0ff,line-height:1.2\n\tclassDef first fill-opacity:0\n\tclassDef last fill:#bfb6fc\n")
	return b.String()
}

// mermaidID makes a node name safe as a Mermaid id.
func mermaidID(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, name)
}

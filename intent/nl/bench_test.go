package nl_test

import (
	"context"
	"testing"

	"github.com/netagent/netagent/intent/nl"
)

// BenchmarkParse parses the labelled sentences in turn.
func BenchmarkParse(b *testing.B) {
	p := newParser(b)
	cases := loadLabelled(b)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c := cases[i%len(cases)]
		if _, err := p.Parse(ctx, nl.Request{Text: c.Text, Session: c.Session}); err != nil {
			b.Fatal(err)
		}
	}
}

package trace

import (
	"context"
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     ID
		bad      bool
	}{
		{"w3c example", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736", false},
		{"future version with extra field", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz", "4bf92f3577b34da6a3ce929d0e0e4736", false},
		{"version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "", true},
		{"zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "", true},
		{"zero span id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "", true},
		{"upper case", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "", true},
		{"short", "00-4bf92f35-00f067aa0ba902b7-01", "", true},
		{"empty", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.bad {
				if !errors.Is(err, ErrTraceparent) {
					t.Fatalf("Parse(%q) = %v, %v; want ErrTraceparent", tt.in, got, err)
				}
				return
			}
			if err != nil || got.TraceID != tt.want {
				t.Fatalf("Parse(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNewRoundTrips(t *testing.T) {
	c := New()
	back, err := Parse(c.Header())
	if err != nil || back != c {
		t.Fatalf("Parse(New().Header()) = %v, %v; want %v", back, err, c)
	}
	ctx := With(context.Background(), c)
	if IDFrom(ctx) != c.TraceID {
		t.Fatalf("IDFrom = %q, want %q", IDFrom(ctx), c.TraceID)
	}
	if IDFrom(context.Background()) != "" {
		t.Fatal("IDFrom of a bare context is not empty")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(c.Header())
		if err != nil || back.TraceID != c.TraceID || back.SpanID != c.SpanID {
			t.Fatalf("Parse(%q) = %v; its Header %q parses as %v, %v", s, c, c.Header(), back, err)
		}
	})
}

package netconf_test

import (
	"context"
	"fmt"
	"testing"

	ncdriver "github.com/scrapli/scrapligo/driver/netconf"
	"github.com/scrapli/scrapligo/driver/options"

	"github.com/netagent/netagent/adapters"
	"github.com/netagent/netagent/adapters/internal/conformance"
	"github.com/netagent/netagent/adapters/netconf"
	"github.com/netagent/netagent/yang"
)

func mtuChanges(i int) []yang.Change {
	return []yang.Change{{Op: yang.OpUpdate, Path: yang.InterfacePath("eth1").Leaf("config", "mtu"), Old: uint64(1500), New: uint64(1500 + i%1000)}}
}

// BenchmarkConfigure: lock + edit-config + commit + unlock through the
// adapter on one warm session.
func BenchmarkConfigure(b *testing.B) {
	_, inv := conformance.StartLab(b)
	a, err := netconf.Open(context.Background(), conformance.Target(b, inv, "nc", adapters.NETCONF))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := a.Configure(ctx, mtuChanges(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkBareScrapligo: the same RPCs (lock, edit-config, commit,
// unlock) with scrapligo alone (standard
// transport, strict host key), the floor of netagent's own stack.
func BenchmarkBareScrapligo(b *testing.B) {
	_, inv := conformance.StartLab(b)
	tg := conformance.Target(b, inv, "nc", adapters.NETCONF)
	d, err := ncdriver.NewDriver(tg.Address, options.WithTransportType("standard"), options.WithPort(tg.Protocol.Port),
		options.WithAuthUsername(tg.Credentials.Username), options.WithAuthPassword(tg.Credentials.Password.Reveal()),
		options.WithSSHKnownHostsFile(inv.KnownHosts))
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Open(); err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		payload, _ := yang.EncodeEditConfig(mtuChanges(i))
		for _, step := range []func() error{
			func() error { r, err := d.Lock("candidate"); return failed(r.Failed, err) },
			func() error { r, err := d.EditConfig("candidate", string(payload)); return failed(r.Failed, err) },
			func() error { r, err := d.Commit(); return failed(r.Failed, err) },
			func() error { r, err := d.Unlock("candidate"); return failed(r.Failed, err) },
		} {
			if err := step(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func failed(f, err error) error {
	if err != nil {
		return err
	}
	if f != nil {
		return fmt.Errorf("rpc-error: %w", f)
	}
	return nil
}

// BenchmarkSessionSetup: TCP + SSH + host key check + login + hello.
func BenchmarkSessionSetup(b *testing.B) {
	_, inv := conformance.StartLab(b)
	tg := conformance.Target(b, inv, "nc", adapters.NETCONF)
	for b.Loop() {
		a, err := netconf.Open(context.Background(), tg)
		if err != nil {
			b.Fatal(err)
		}
		_ = a.Close()
	}
}

package yang

import "testing"

// singleInterface returns the before and after trees of a one-interface change.
func singleInterface(b *testing.B) (*Tree, *Tree) {
	from := tree(b, ifaceMTU, ifaceDescr, eth1+"/config/enabled = true")
	to := tree(b, eth1+"/config/mtu = 9000", ifaceDescr, eth1+"/config/enabled = false")
	return from, to
}

// BenchmarkDiffEncodeNETCONF measures diff + OpenConfig edit-config XML of
// a single-interface change set; the issue asks for 50,000/s per core.
func BenchmarkDiffEncodeNETCONF(b *testing.B) {
	from, to := singleInterface(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeEditConfig(Diff(from, to)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changesets/s")
}

// BenchmarkDiffEncodeGNMI measures diff + gNMI SetRequest of the same change set.
func BenchmarkDiffEncodeGNMI(b *testing.B) {
	from, to := singleInterface(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeSetRequest(Diff(from, to)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changesets/s")
}

// BenchmarkDiffEncodeIETF measures diff + IETF edit-config XML.
func BenchmarkDiffEncodeIETF(b *testing.B) {
	from, to := singleInterface(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeEditConfigIETF(from, Diff(from, to)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changesets/s")
}

// BenchmarkBuildDiffEncodeNETCONF includes building the desired tree from
// the current one, as an intent compiler does per device.
func BenchmarkBuildDiffEncodeNETCONF(b *testing.B) {
	from, _ := singleInterface(b)
	mtu := MustParsePath(eth1 + "/config/mtu")
	b.ReportAllocs()
	for b.Loop() {
		to := from.Clone()
		if err := to.Set(mtu, uint64(9000)); err != nil {
			b.Fatal(err)
		}
		if _, err := EncodeEditConfig(Diff(from, to)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changesets/s")
}

package yang

import gpb "github.com/openconfig/gnmi/proto/gnmi"

func jsonIETF(b []byte) *gpb.TypedValue {
	return &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: b}}
}

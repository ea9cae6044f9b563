package oc

import (
	"fmt"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/exampleoc"
	"github.com/openconfig/ygot/ygot"
	"github.com/openconfig/ygot/ytypes"

	"github.com/netagent/netagent/yang"
)

// Device is ygot's generated root of the OpenConfig tree.
type Device = exampleoc.Device

// ToDevice builds the ygot structs holding exactly t's leaves.
func ToDevice(t *yang.Tree) (*Device, error) {
	d := &Device{}
	schema := exampleoc.SchemaTree["Device"]
	for _, l := range t.Leaves() {
		s, err := l.Path.Schema()
		if err != nil {
			return nil, err
		}
		v := typedValue(s, l.Value)
		if err := ytypes.SetNode(schema, d, l.Path.GNMI(), v, &ytypes.InitMissingElements{}); err != nil {
			return nil, fmt.Errorf("%s: %w", l.Path, err)
		}
	}
	return d, nil
}

func typedValue(s *yang.Schema, v any) *gpb.TypedValue {
	switch x := v.(type) {
	case bool:
		return &gpb.TypedValue{Value: &gpb.TypedValue_BoolVal{BoolVal: x}}
	case uint64:
		return &gpb.TypedValue{Value: &gpb.TypedValue_UintVal{UintVal: x}}
	}
	return &gpb.TypedValue{Value: &gpb.TypedValue_StringVal{StringVal: yang.FormatValue(v)}}
}

// FromDevice reads the part of d that the canonical model covers into a
// tree; the rest of d is ignored. The tree is validated.
func FromDevice(d *Device) (*yang.Tree, error) {
	ns, err := ygot.TogNMINotifications(d, 0, ygot.GNMINotificationsConfig{UsePathElem: true})
	if err != nil {
		return nil, fmt.Errorf("oc: render notifications: %w", err)
	}
	for _, n := range ns {
		for _, u := range n.GetUpdate() {
			// Enumerated values come as bare names; identityrefs as well.
			if sv, ok := u.GetVal().GetValue().(*gpb.TypedValue_StringVal); ok {
				if i := strings.LastIndexByte(sv.StringVal, ':'); i >= 0 && !strings.Contains(sv.StringVal, ".") {
					sv.StringVal = sv.StringVal[i+1:]
				}
			}
		}
	}
	return yang.DecodeNotifications(ns)
}

// Validate runs ygot's schema validation of the OpenConfig structs built
// from t, then yang.Validate's semantic rules, and reports every problem in
// one *yang.ValidationError.
func Validate(t *yang.Tree) error {
	var errs []yang.FieldError
	d, err := ToDevice(t)
	if err != nil {
		errs = append(errs, yang.FieldError{Path: "/", Reason: err.Error()})
	} else if verr := d.ΛValidate(); verr != nil {
		for _, e := range strings.Split(verr.Error(), ", ") {
			errs = append(errs, yang.FieldError{Path: "/", Reason: "openconfig schema: " + e})
		}
	}
	if err := yang.Validate(t); err != nil {
		ve := err.(*yang.ValidationError)
		errs = append(errs, ve.Errors...)
	}
	if len(errs) == 0 {
		return nil
	}
	return &yang.ValidationError{Errors: errs}
}

package service

import (
	"go.einride.tech/aip/fieldmask"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// updatePaths returns the fields an Update method's mask names (AIP-134):
// every one of updatable for `*`, a full replacement, or else the mask's own
// paths, which the contract's rule has checked are among updatable.
func updatePaths(mask *fieldmaskpb.FieldMask, updatable ...string) []string {
	if fieldmask.IsFullReplacement(mask) {
		return updatable
	}
	return mask.GetPaths()
}

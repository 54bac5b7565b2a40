package modeclient

import (
	"reflect"
	"sync"
)

// The cache keeps the decoded form of a response beside its body, shared by
// every hit, so that a hit costs a copy instead of a JSON decode. Callers get
// values of their own, which they may modify: cloneValue copies what a
// caller could reach and change through a value (maps, slices, pointers,
// interfaces) and shares the rest (strings and the unexported fields of
// types such as time.Time, which cannot be changed through the value).

// cloneValue returns a deep copy of *v.
func cloneValue[T any](v *T) *T {
	out := new(T)
	copyValue(reflect.ValueOf(out).Elem(), reflect.ValueOf(v).Elem())
	return out
}

// plans caches, per type, how to copy a value of it (see planFor).
var plans sync.Map // reflect.Type -> *copyPlan

// copyPlan says how to copy a value of one type.
type copyPlan struct {
	// deep: copying the value with = would share something modifiable
	// between the copies (a map, slice, pointer or interface it reaches).
	deep bool
	// fields are, for a struct, the exported fields to copy deeply.
	fields []int
}

// planFor returns t's copy plan.
func planFor(t reflect.Type) *copyPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*copyPlan)
	}
	p := &copyPlan{deep: typeHasRefs(t, map[reflect.Type]bool{})}
	if p.deep && t.Kind() == reflect.Struct {
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && typeHasRefs(f.Type, map[reflect.Type]bool{}) {
				p.fields = append(p.fields, i)
			}
		}
	}
	plans.Store(t, p)
	return p
}

// needsDeepCopy reports whether copying a value of t with = would share
// something modifiable between the copies.
func needsDeepCopy(t reflect.Type) bool { return planFor(t).deep }

// typeHasRefs computes copyPlan.deep; seen breaks cycles of recursive types.
func typeHasRefs(t reflect.Type, seen map[reflect.Type]bool) bool {
	if deep, ok := seen[t]; ok {
		return deep
	}
	seen[t] = true // a type that reaches itself does so through a reference
	deep := false
	switch t.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface:
		deep = true
	case reflect.Array:
		deep = typeHasRefs(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && typeHasRefs(f.Type, seen) {
				deep = true
				break
			}
		}
	}
	seen[t] = deep
	return deep
}

// copyValue sets dst, a settable value of src's type, to a deep copy of src.
func copyValue(dst, src reflect.Value) {
	t := src.Type()
	p := planFor(t)
	if !p.deep {
		dst.Set(src)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		dst.Set(src) // scalars and unexported fields
		for _, i := range p.fields {
			copyValue(dst.Field(i), src.Field(i))
		}
	case reflect.Array:
		for i := range src.Len() {
			copyValue(dst.Index(i), src.Index(i))
		}
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		p := reflect.New(t.Elem())
		copyValue(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		s := reflect.MakeSlice(t, src.Len(), src.Len())
		if needsDeepCopy(t.Elem()) {
			for i := range src.Len() {
				copyValue(s.Index(i), src.Index(i))
			}
		} else {
			reflect.Copy(s, src)
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		m := reflect.MakeMapWithSize(t, src.Len())
		deepElem := needsDeepCopy(t.Elem())
		// One key and one value, reused: SetIterKey and SetIterValue do not
		// allocate where Key and Value would, for every entry.
		k, v := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
		var c reflect.Value
		if deepElem {
			c = reflect.New(t.Elem()).Elem()
		}
		it := src.MapRange()
		for it.Next() {
			k.SetIterKey(it) // keys are comparable: copied by value
			v.SetIterValue(it)
			if deepElem {
				copyValue(c, v)
				m.SetMapIndex(k, c)
			} else {
				m.SetMapIndex(k, v)
			}
		}
		dst.Set(m)
	case reflect.Interface:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		e := src.Elem()
		c := reflect.New(e.Type()).Elem()
		copyValue(c, e)
		dst.Set(c)
	default:
		dst.Set(src)
	}
}

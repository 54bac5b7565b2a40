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

// hasRefs caches, per type, whether a value of it reaches memory a caller
// could modify through a copy (see typeHasRefs).
var hasRefs sync.Map // reflect.Type -> bool

// needsDeepCopy reports whether copying a value of t with = would share
// something modifiable between the copies.
func needsDeepCopy(t reflect.Type) bool {
	if v, ok := hasRefs.Load(t); ok {
		return v.(bool)
	}
	deep := typeHasRefs(t, map[reflect.Type]bool{})
	hasRefs.Store(t, deep)
	return deep
}

// typeHasRefs computes needsDeepCopy; seen breaks cycles of recursive types.
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
	if !needsDeepCopy(t) {
		dst.Set(src)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		dst.Set(src) // scalars and unexported fields
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && needsDeepCopy(f.Type) {
				copyValue(dst.Field(i), src.Field(i))
			}
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
		it := src.MapRange()
		for it.Next() {
			e := it.Value()
			if deepElem {
				c := reflect.New(t.Elem()).Elem()
				copyValue(c, e)
				e = c
			}
			m.SetMapIndex(it.Key(), e) // keys are comparable: copied by value
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

package sharedcache

import "github.com/modeplatform/modeplatform/modeclient/cache"

// LockKeyOf names the lock of k in namespace ns for a credential ID, for tests that play a
// replica which took a lock and died.
func LockKeyOf(ns, credID string, k cache.Key) string {
	ks, _ := newKeyspace(ns)
	return ks.lock(entryID(credID, k))
}

package sharedcache

import "github.com/modeplatform/modeplatform/modeclient/cache"

// LockKeyOf names the lock of k in namespace ns for a credential ID, for tests that play a
// replica which took a lock and died.
func LockKeyOf(ns, credID string, k cache.Key) string {
	ks, _ := newKeyspace(ns)
	return ks.lock(entryID(credID, k))
}

// RequestLeaseKeyOf names the lease of the request record of key in namespace ns, for tests that
// play an owner which died mid-create.
func RequestLeaseKeyOf(ns, key string) string {
	ks, _ := newKeyspace(ns)
	return ks.lease(recordID(key))
}

// RequestRecordKeyOf names the request record of key in namespace ns, for tests that play Redis
// losing it.
func RequestRecordKeyOf(ns, key string) string {
	ks, _ := newKeyspace(ns)
	return ks.record(recordID(key))
}

package web

import "testing"

func TestNewRequiresStoreAndRuntime(t *testing.T) {
	t.Parallel()
	if _, err := New(Options{Runtime: &fakeRuntime{}}); err == nil {
		t.Error("New without a store worked")
	}
	e := newEnv(t, nil)
	if _, err := New(Options{Store: e.store}); err == nil {
		t.Error("New without a runtime worked")
	}
	if _, err := New(Options{Store: e.store, Runtime: e.rt, DemoToggle: func(bool) {}}); err == nil {
		t.Error("New with DemoToggle but no DemoState worked")
	}
}

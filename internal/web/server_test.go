package web_test

import (
	"testing"

	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestNewRequiresStoreAndRuntime(t *testing.T) {
	t.Parallel()
	if _, err := web.New(web.Options{Runtime: &webtest.Runtime{}}); err == nil {
		t.Error("New without a store worked")
	}
	e := webtest.New(t, nil)
	if _, err := web.New(web.Options{Store: e.Store}); err == nil {
		t.Error("New without a runtime worked")
	}
	if _, err := web.New(web.Options{Store: e.Store, Runtime: e.RT, DemoToggle: func(bool) {}}); err == nil {
		t.Error("New with DemoToggle but no DemoState worked")
	}
}

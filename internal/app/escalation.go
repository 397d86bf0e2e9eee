package app

import (
	"context"
	"fmt"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/escalate"
)

// buildEscalator makes the signer of the one-click links (its key is kept
// in the store, the same for every replica and restart) and the escalator,
// which fires the paged alerts' timers next to the outbox dispatcher.
func (a *App) buildEscalator(ctx context.Context, cfg *config.Config) error {
	key, err := a.store.Secret(ctx, escalate.SecretName, escalate.SecretSize)
	if err != nil {
		return fmt.Errorf("reading the key of the alert links: %w", err)
	}
	a.links = &escalate.Links{Key: key, BaseURL: cfg.Server.BaseURL}
	a.esc = escalate.New(escalate.Options{
		Store:      a.store,
		Directory:  a.directory,
		Config:     a.config,
		Links:      a.links,
		Owner:      a.owner,
		Logger:     a.log,
		Now:        a.now,
		Wake:       a.disp.Wake,
		Registerer: a.registry,
	})
	return nil
}

// catalog returns the catalog of the running configuration.
func (a *App) catalog() *catalog.Catalog {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.cat
}

// directory is whom the escalator asks: the catalog of the running
// configuration (swapped on reload), unless Options.Directory replaces it.
func (a *App) directory() escalate.Directory {
	if a.opts.Directory != nil {
		return a.opts.Directory()
	}
	return a.catalog()
}

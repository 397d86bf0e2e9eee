package app

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/tocsin/tocsin/internal/redact"
)

// watchdog pings server.watchdog_url while the scheduler keeps up, the
// outbox dispatcher is alive and the writers store what they are given, so a dead or wedged Tocsin is noticed by
// whatever watches that URL (another Tocsin's heartbeat, any dead man's
// switch). When Tocsin is unhealthy it stays silent: silence is the alarm.
func (a *App) watchdog(ctx context.Context) {
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		cfg := a.config()
		interval := cfg.Server.WatchdogInterval.D()
		if interval <= 0 {
			interval = time.Minute
		}
		if url := cfg.Server.WatchdogURL; url != "" {
			switch {
			case a.sched.Lag() > cfg.Server.ReadyMaxLag.D() || !a.disp.Healthy() || len(a.writers.Problems()) > 0:
				a.metrics.watchdog.WithLabelValues("skipped").Inc()
				a.log.Warn("watchdog ping withheld: scheduler lagging, outbox stalled or writes failing", "lag", a.sched.Lag(), "writes", a.writers.Problems())
			default:
				if err := ping(ctx, client, url); err != nil {
					a.metrics.watchdog.WithLabelValues("error").Inc()
					if ctx.Err() == nil {
						a.log.Warn("watchdog ping failed", "url", redact.Target(url), "err", redact.Target(err.Error()))
					}
				} else {
					a.metrics.watchdog.WithLabelValues("ok").Inc()
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

func ping(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "Tocsin watchdog")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		return &httpStatusError{code: resp.StatusCode}
	}
	return nil
}

type httpStatusError struct{ code int }

func (e *httpStatusError) Error() string { return "HTTP " + http.StatusText(e.code) }

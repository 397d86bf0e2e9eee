package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Fingerprint returns a stable hash of everything that decides how m is
// probed and how its results are evaluated: its type, timing, thresholds
// and type block. Name, service, channels and paused are left out, as they
// change neither. A reload keeps the state and schedule of a monitor whose
// fingerprint did not change.
func (m Monitor) Fingerprint() string {
	def := struct {
		Type             string
		Interval         Duration
		Timeout          Duration
		FailureThreshold int
		SuccessThreshold int
		Block            Block
	}{m.Type, m.Interval, m.Timeout, m.FailureThreshold, m.SuccessThreshold, m.Block}
	// encoding/json sorts map keys, so equal definitions encode equally.
	b, err := json.Marshal(def)
	if err != nil {
		// Only plain data is encoded; this cannot happen. A fingerprint that
		// never matches makes a reload restart the monitor, which is safe.
		return "unhashable:" + err.Error()
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// Diff compares the monitors of two configurations by id. added and changed
// follow the order of next, removed the order of prev; changed holds the
// monitors whose Fingerprint differs. A nil prev adds every monitor.
func Diff(prev, next *Config) (added, changed, removed []string) {
	old := make(map[string]string)
	if prev != nil {
		for i := range prev.Monitors {
			old[prev.Monitors[i].ID] = prev.Monitors[i].Fingerprint()
		}
	}
	kept := make(map[string]bool)
	if next != nil {
		for i := range next.Monitors {
			m := &next.Monitors[i]
			fp, ok := old[m.ID]
			switch {
			case !ok:
				added = append(added, m.ID)
			case fp != m.Fingerprint():
				changed = append(changed, m.ID)
			}
			kept[m.ID] = true
		}
	}
	if prev != nil {
		for i := range prev.Monitors {
			if id := prev.Monitors[i].ID; !kept[id] {
				removed = append(removed, id)
			}
		}
	}
	return added, changed, removed
}

package webcore

// InboxChannels returns the ids of the running configuration's inbox
// channels, whose notifications the Inbox page and the API list.
func InboxChannels(rt Runtime) []string {
	cfg := rt.Config()
	if cfg == nil {
		return nil
	}
	var out []string
	for _, ch := range cfg.Channels {
		if ch.Type == "inbox" {
			out = append(out, ch.ID)
		}
	}
	return out
}

package chat

import (
	"strings"
	"testing"
)

// TestFromWebhook: the webhook URLs the services give become the shoutrrr
// URLs their documentation describes; anything else is refused with the
// shape expected, never echoing the URL.
func TestFromWebhook(t *testing.T) {
	for _, c := range []struct {
		typ  typ
		in   string
		want string
	}{
		{slackType{}, "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "slack://hook:T00000000-B00000000-XXXXXXXXXXXXXXXXXXXXXXXX@webhook"},
		{discordType{}, "https://discord.com/api/webhooks/123456789012345678/tok-en_1", "discord://tok-en_1@123456789012345678"},
		{mattermostType{}, "https://chat.example.com/hooks/bywsw8zt5jgpte3nm65qjiru6h", "mattermost://chat.example.com/bywsw8zt5jgpte3nm65qjiru6h"},
		{teamsType{}, "https://prod-00.westus.logic.azure.com:443/workflows/abc123/triggers/manual/paths/invoke?api-version=2016-06-01&sig=XX",
			"teams://?host=https%3A%2F%2Fprod-00.westus.logic.azure.com%3A443%2Fworkflows%2Fabc123%2Ftriggers%2Fmanual%2Fpaths%2Finvoke%3Fapi-version%3D2016-06-01%26sig%3DXX"},
	} {
		s := c.typ.describe()
		got, err := s.fromWebhook(c.in)
		if err != nil || got != c.want {
			t.Errorf("%s: fromWebhook(%q) = %q, %v; want %q", s.name, c.in, got, err, c.want)
		}
		if _, err := s.service(got); err != nil {
			t.Errorf("%s: shoutrrr refuses %q: %v", s.name, got, err)
		}
	}
	for _, c := range []struct {
		typ typ
		in  string
	}{
		{slackType{}, "http://hooks.slack.com/services/T/B/X"},
		{slackType{}, "https://hooks.slack.com/services/T/B"},
		{discordType{}, "https://discord.com/api/other/1/2"},
		{mattermostType{}, "https://chat.example.com/api/v4/hooks/x"},
	} {
		s := c.typ.describe()
		_, err := s.fromWebhook(c.in)
		if err == nil || !strings.HasPrefix(err.Error(), "webhook_url ") || strings.Contains(err.Error(), c.in) {
			t.Errorf("%s: fromWebhook(%q) error = %v", s.name, c.in, err)
		}
	}
}

package coze_test

import (
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

func TestParseRegion(t *testing.T) {
	tests := []struct {
		in   string
		want coze.Region
		ok   bool
	}{
		{"cn", coze.RegionCN, true},
		{"CN", coze.RegionCN, true},
		{" cn ", coze.RegionCN, true},
		{"coze.cn", coze.RegionCN, true},
		{"api.coze.cn", coze.RegionCN, true},
		{"com", coze.RegionCOM, true},
		{"COM", coze.RegionCOM, true},
		{"coze.com", coze.RegionCOM, true},
		{"api.coze.com", coze.RegionCOM, true},
		{"", "", false},
		{"eu", "", false},
		{"china", "", false},
		{"https://api.coze.cn", "", false},
	}
	for _, tt := range tests {
		got, err := coze.ParseRegion(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseRegion(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "cn") {
			t.Errorf("ParseRegion(%q) error %q does not say what is accepted", tt.in, err)
		}
	}
}

func TestRegionURLs(t *testing.T) {
	tests := []struct {
		r             coze.Region
		api, www, aud string
		other         coze.Region
	}{
		{coze.RegionCN, "https://api.coze.cn", "https://www.coze.cn", "api.coze.cn", coze.RegionCOM},
		{coze.RegionCOM, "https://api.coze.com", "https://www.coze.com", "api.coze.com", coze.RegionCN},
	}
	for _, tt := range tests {
		if got := tt.r.APIBase(); got != tt.api {
			t.Errorf("%s.APIBase() = %q, want %q", tt.r, got, tt.api)
		}
		if got := tt.r.WWWBase(); got != tt.www {
			t.Errorf("%s.WWWBase() = %q, want %q", tt.r, got, tt.www)
		}
		if got := tt.r.Audience(); got != tt.aud {
			t.Errorf("%s.Audience() = %q, want %q", tt.r, got, tt.aud)
		}
		if got := tt.r.Other(); got != tt.other {
			t.Errorf("%s.Other() = %q, want %q", tt.r, got, tt.other)
		}
		// The audience is what AudienceFor derives from the API base, and
		// the API base maps back to the region.
		if aud, err := coze.AudienceFor(tt.r.APIBase()); err != nil || aud != tt.aud {
			t.Errorf("AudienceFor(%s.APIBase()) = %q, %v; want %q", tt.r, aud, err, tt.aud)
		}
		if got := coze.RegionOf(tt.r.APIBase()); got != tt.r {
			t.Errorf("RegionOf(%s.APIBase()) = %q", tt.r, got)
		}
	}
}

func TestAudienceFor(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://api.coze.cn", "api.coze.cn", true},
		{"https://api.coze.com", "api.coze.com", true},
		{"https://api.coze.cn/", "api.coze.cn", true},
		{"https://api.coze.cn:443", "api.coze.cn", true},
		{"http://127.0.0.1:8080", "127.0.0.1", true},
		{"http://localhost:9999/base", "localhost", true},
		{"api.coze.cn", "", false},
		{"", "", false},
		{"ftp://api.coze.cn", "", false},
		{"https://", "", false},
		{"://bad", "", false},
	}
	for _, tt := range tests {
		got, err := coze.AudienceFor(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("AudienceFor(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestRegionOf(t *testing.T) {
	tests := []struct {
		in   string
		want coze.Region
	}{
		{"https://api.coze.cn", coze.RegionCN},
		{"https://api.coze.cn/", coze.RegionCN},
		{"https://www.coze.cn", coze.RegionCN},
		{"https://coze.cn", coze.RegionCN},
		{"https://api.coze.com", coze.RegionCOM},
		{"https://api.coze.com:443/v1", coze.RegionCOM},
		{"http://127.0.0.1:8080", ""},
		{"https://notcoze.cn", ""},
		{"https://api.coze.cn.example.org", ""},
		{"https://coze.community", ""},
		{"api.coze.cn", ""}, // not a URL
		{"", ""},
	}
	for _, tt := range tests {
		if got := coze.RegionOf(tt.in); got != tt.want {
			t.Errorf("RegionOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokenURL(t *testing.T) {
	tests := []struct {
		base, account, enterprise, want string
	}{
		{"https://api.coze.cn", "", "", "https://api.coze.cn/api/permission/oauth2/token"},
		{"https://api.coze.com", "", "", "https://api.coze.com/api/permission/oauth2/token"},
		{"https://api.coze.cn", "123", "", "https://api.coze.cn/api/permission/oauth2/account/123/token"},
		{"https://api.coze.cn", "", "ent_9", "https://api.coze.cn/api/permission/oauth2/enterprise_id/ent_9/token"},
		// The account variant wins when both are given.
		{"https://api.coze.cn", "123", "ent_9", "https://api.coze.cn/api/permission/oauth2/account/123/token"},
		// Ids are path-escaped: they cannot break out of their segment.
		{"http://127.0.0.1:1", "a/b", "", "http://127.0.0.1:1/api/permission/oauth2/account/a%2Fb/token"},
		{"http://127.0.0.1:1", "", "x?y", "http://127.0.0.1:1/api/permission/oauth2/enterprise_id/x%3Fy/token"},
	}
	for _, tt := range tests {
		if got := coze.TokenURL(tt.base, tt.account, tt.enterprise); got != tt.want {
			t.Errorf("TokenURL(%q, %q, %q) = %q, want %q", tt.base, tt.account, tt.enterprise, got, tt.want)
		}
	}
}

package emulator

import (
	"fmt"
	"net/http"
)

// voice is Coze's Voice as /v1/audio/voices lists it.
type voice struct {
	ID             string `json:"voice_id"`
	Name           string `json:"name"`
	IsSystem       bool   `json:"is_system_voice"`
	LanguageCode   string `json:"language_code"`
	LanguageName   string `json:"language_name"`
	PreviewText    string `json:"preview_text"`
	PreviewAudio   string `json:"preview_audio"`
	Created        int64  `json:"create_time"`
	Updated        int64  `json:"update_time"`
	TrainingsLeft  int    `json:"available_training_times"`
	ModelType      string `json:"model_type"`
	SupportEmotion []any  `json:"support_emotions"`
}

// seedVoices is the emulator's voice list: five system voices, SeedVoiceID
// first, and one cloned (non-system) voice.
func seedVoices(now int64) []voice {
	seeds := []struct{ name, code, lang, model string }{
		{"Emulated Xiaomei", "zh", "中文", "big"},
		{"Emulated Ava", "en", "English", "big"},
		{"Emulated Haruto", "ja", "日本語", "small"},
		{"Emulated Lucia", "es", "Español", "small"},
		{"Emulated Ming", "zh", "中文", "small"},
		{"My cloned voice", "zh", "中文", "big"},
	}
	out := make([]voice, 0, len(seeds))
	for i, v := range seeds {
		out = append(out, voice{
			ID: fmt.Sprintf("748400000000000000%d", i+1), Name: v.name, IsSystem: i < 5,
			LanguageCode: v.code, LanguageName: v.lang, ModelType: v.model,
			PreviewText:  "Hello from the Coze emulator.",
			PreviewAudio: fmt.Sprintf("https://emulator.invalid/voices/748400000000000000%d.mp3", i+1),
			Created:      now, Updated: now, SupportEmotion: []any{},
		})
	}
	return out
}

// serveVoices answers GET /v1/audio/voices?filter_system_voice=&model_type=
// &page_num=&page_size= (default 100, at most 100) with
// {"voice_list":[...],"has_more":bool}.
func (s *Server) serveVoices(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodGet); !ok {
		return
	}
	q := r.URL.Query()
	num, size, problem := pageQuery(q, 100, 100, "page_num")
	filter, model := q.Get("filter_system_voice"), q.Get("model_type")
	switch {
	case problem != "":
		invalid(w, problem)
		return
	case filter != "" && filter != "true" && filter != "false":
		invalid(w, "invalid parameter filter_system_voice: want true or false")
		return
	case model != "" && model != "big" && model != "small":
		invalid(w, "invalid parameter model_type: want big or small")
		return
	}
	rs := s.res()
	var all []voice
	for _, v := range rs.voices { // never changes after seeding
		if (filter == "true" && v.IsSystem) || (model != "" && v.ModelType != model) {
			continue
		}
		all = append(all, v)
	}
	items, more := page(all, num, size)
	writeData(w, map[string]any{"voice_list": items, "has_more": more})
}

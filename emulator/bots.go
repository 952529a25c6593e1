package emulator

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"
)

// bot is an emulated Coze bot (智能体): its draft configuration, and the
// configuration last published, if any.
type bot struct {
	ID         string
	SpaceID    string
	Owner      string
	Created    int64
	Updated    int64
	Published  int64 // last publish, 0 if never published
	Version    string
	Connectors []string
	draft      botConfig
	online     *botConfig // nil until published
	dirty      bool       // draft changed since the last publish
}

// botConfig is what create and update set.
type botConfig struct {
	Name         string
	Description  string
	IconFileID   string
	Prompt       string
	Prologue     string
	Suggested    []string
	DatasetIDs   []string
	WorkflowIDs  []string
	ModelID      string
	ReplyMode    string
	CustomPrompt string
}

// botBody is the JSON body of /v1/bot/create and /v1/bot/update; pointers
// tell an absent field from an empty one.
type botBody struct {
	SpaceID     string  `json:"space_id"`
	BotID       string  `json:"bot_id"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
	IconFileID  *string `json:"icon_file_id"`
	PromptInfo  *struct {
		Prompt string `json:"prompt"`
	} `json:"prompt_info"`
	OnboardingInfo *struct {
		Prologue           string   `json:"prologue"`
		SuggestedQuestions []string `json:"suggested_questions"`
	} `json:"onboarding_info"`
	Knowledge *struct {
		DatasetIDs []string `json:"dataset_ids"`
	} `json:"knowledge"`
	WorkflowIDList *struct {
		IDs []struct {
			ID string `json:"id"`
		} `json:"ids"`
	} `json:"workflow_id_list"`
	ModelInfoConfig *struct {
		ModelID string `json:"model_id"`
	} `json:"model_info_config"`
	SuggestReplyInfo *struct {
		ReplyMode        string `json:"reply_mode"`
		CustomizedPrompt string `json:"customized_prompt"`
	} `json:"suggest_reply_info"`
}

// apply validates b and writes its fields into cfg; on a problem it returns
// a message and leaves cfg as it may be (callers apply to a copy).
func (rs *resources) apply(b *botBody, cfg *botConfig) string {
	if b.Name != nil {
		if n := utf8.RuneCountInString(*b.Name); n < 1 || n > 20 {
			return "invalid parameter name: a bot name has 1 to 20 characters"
		}
		cfg.Name = *b.Name
	}
	if b.Description != nil {
		if utf8.RuneCountInString(*b.Description) > 500 {
			return "invalid parameter description: at most 500 characters"
		}
		cfg.Description = *b.Description
	}
	if b.IconFileID != nil {
		if _, ok := rs.files.get(*b.IconFileID); *b.IconFileID != "" && !ok {
			return "invalid parameter icon_file_id: no uploaded file has id " + strconv.Quote(clip(*b.IconFileID)) + "; upload the icon with /v1/files/upload first"
		}
		cfg.IconFileID = *b.IconFileID
	}
	if b.PromptInfo != nil {
		cfg.Prompt = b.PromptInfo.Prompt
	}
	if b.OnboardingInfo != nil {
		cfg.Prologue = b.OnboardingInfo.Prologue
		cfg.Suggested = slices.Clone(b.OnboardingInfo.SuggestedQuestions)
	}
	if b.Knowledge != nil {
		for _, id := range b.Knowledge.DatasetIDs {
			if _, ok := rs.datasets.get(id); !ok {
				return "invalid parameter knowledge.dataset_ids: no knowledge base has id " + strconv.Quote(clip(id))
			}
		}
		cfg.DatasetIDs = slices.Clone(b.Knowledge.DatasetIDs)
	}
	if b.WorkflowIDList != nil {
		var ids []string
		for _, x := range b.WorkflowIDList.IDs {
			if _, ok := rs.workflows[x.ID]; !ok {
				return "invalid parameter workflow_id_list: no workflow has id " + strconv.Quote(clip(x.ID))
			}
			ids = append(ids, x.ID)
		}
		cfg.WorkflowIDs = ids
	}
	if b.ModelInfoConfig != nil {
		if b.ModelInfoConfig.ModelID == "" {
			return "invalid parameter model_info_config.model_id: required when model_info_config is sent"
		}
		cfg.ModelID = b.ModelInfoConfig.ModelID
	}
	if b.SuggestReplyInfo != nil {
		switch b.SuggestReplyInfo.ReplyMode {
		case "disable", "enable", "customized":
		default:
			return "invalid parameter suggest_reply_info.reply_mode: want disable, enable or customized"
		}
		cfg.ReplyMode = b.SuggestReplyInfo.ReplyMode
		cfg.CustomPrompt = b.SuggestReplyInfo.CustomizedPrompt
	}
	return ""
}

// serveBotCreate answers POST /v1/bot/create with {"bot_id":...}: a new,
// unpublished bot in space_id.
func (s *Server) serveBotCreate(w http.ResponseWriter, r *http.Request) {
	userID, ok := s.enter(w, r, http.MethodPost)
	if !ok {
		return
	}
	var b botBody
	if !readJSON(w, r, &b) {
		return
	}
	switch {
	case b.SpaceID == "":
		invalid(w, "invalid parameter: space_id is required (the workspace the bot belongs to; see /v1/workspaces)")
		return
	case b.Name == nil:
		invalid(w, "invalid parameter: name is required (1 to 20 characters)")
		return
	}
	if !s.allowWorkspace(w, r, b.SpaceID) {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.knownWorkspace(b.SpaceID) {
		resNotFound(w, "workspace", b.SpaceID)
		return
	}
	cfg := botConfig{ReplyMode: "disable", ModelID: defaultModelID}
	if problem := rs.apply(&b, &cfg); problem != "" {
		invalid(w, problem)
		return
	}
	now := s.unix()
	nb := &bot{ID: newID(), SpaceID: b.SpaceID, Owner: userID, Created: now, Updated: now, Version: "0", draft: cfg}
	if !rs.bots.add(nb.ID, nb, false) {
		invalid(w, "too many bots: the emulator holds at most "+strconv.Itoa(rs.bots.limit)+"; restart it to start afresh")
		return
	}
	writeData(w, map[string]string{"bot_id": nb.ID})
}

// serveBotUpdate answers POST /v1/bot/update, changing the draft of bot_id.
func (s *Server) serveBotUpdate(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodPost); !ok {
		return
	}
	var b botBody
	if !readJSON(w, r, &b) {
		return
	}
	if b.BotID == "" {
		invalid(w, "invalid parameter: bot_id is required")
		return
	}
	if !s.allowBot(w, r, b.BotID) {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	bt, ok := rs.bots.get(b.BotID)
	if !ok {
		resNotFound(w, "bot", b.BotID)
		return
	}
	cfg := bt.draft
	if problem := rs.apply(&b, &cfg); problem != "" {
		invalid(w, problem)
		return
	}
	bt.draft, bt.dirty, bt.Updated = cfg, true, s.unix()
	writeData(w, nil)
}

// serveBotPublish answers POST /v1/bot/publish: the draft of bot_id becomes
// its online version on connector_ids.
func (s *Server) serveBotPublish(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodPost); !ok {
		return
	}
	var b struct {
		BotID        string   `json:"bot_id"`
		ConnectorIDs []string `json:"connector_ids"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	switch {
	case b.BotID == "":
		invalid(w, "invalid parameter: bot_id is required")
		return
	case len(b.ConnectorIDs) == 0 || slices.Contains(b.ConnectorIDs, ""):
		invalid(w, `invalid parameter: connector_ids is required, e.g. ["`+APIConnectorID+`"] for Agent as API`)
		return
	}
	if !s.allowBot(w, r, b.BotID) {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	bt, ok := rs.bots.get(b.BotID)
	if !ok {
		resNotFound(w, "bot", b.BotID)
		return
	}
	online := bt.draft
	online.Suggested = slices.Clone(online.Suggested)
	n, _ := strconv.Atoi(bt.Version)
	bt.online, bt.dirty = &online, false
	bt.Published, bt.Version = s.unix(), strconv.Itoa(n+1)
	for _, c := range b.ConnectorIDs {
		if !slices.Contains(bt.Connectors, c) && len(bt.Connectors) < 16 {
			bt.Connectors = append(bt.Connectors, c)
		}
	}
	writeData(w, map[string]any{"bot_id": bt.ID, "version": bt.Version})
}

// serveBotOnlineInfo answers GET /v1/bot/get_online_info?bot_id= with the
// published configuration of the bot.
func (s *Server) serveBotOnlineInfo(w http.ResponseWriter, r *http.Request) {
	s.serveBotInfo(w, r, r.URL.Query().Get("bot_id"), true)
}

// serveBotRetrieve answers GET /v1/bots/{bot_id}?is_published=: the draft
// (default) or, with is_published=true, the published configuration.
func (s *Server) serveBotRetrieve(w http.ResponseWriter, r *http.Request) {
	published := false
	switch v := r.URL.Query().Get("is_published"); v {
	case "", "false":
	case "true":
		published = true
	default:
		if !allowMethod(w, r, http.MethodGet) {
			return
		}
		if _, ok := s.authAPI(w, r, false); !ok {
			return
		}
		invalid(w, "invalid parameter is_published: want true or false, got "+strconv.Quote(clip(v)))
		return
	}
	s.serveBotInfo(w, r, r.PathValue("bot_id"), published)
}

func (s *Server) serveBotInfo(w http.ResponseWriter, r *http.Request, id string, published bool) {
	if _, ok := s.enter(w, r, http.MethodGet); !ok {
		return
	}
	if id == "" {
		invalid(w, "invalid parameter: bot_id is required")
		return
	}
	if !s.allowBot(w, r, id) {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	bt, ok := rs.bots.get(id)
	if !ok {
		resNotFound(w, "bot", id)
		return
	}
	cfg := &bt.draft
	if published {
		if bt.online == nil {
			writeAPIFailure(w, codeNotFound, "bot "+strconv.Quote(id)+" has not been published: publish it with /v1/bot/publish")
			return
		}
		cfg = bt.online
	}
	writeData(w, rs.botInfo(bt, cfg))
}

// defaultModelID is the model every bot reports unless configured.
const defaultModelID = "1706077826"

// botInfo is Coze's BotInfo for bt with configuration cfg.
func (rs *resources) botInfo(bt *bot, cfg *botConfig) map[string]any {
	knowledge := []map[string]string{}
	for _, id := range cfg.DatasetIDs {
		name := ""
		if d, ok := rs.datasets.get(id); ok {
			name = d.Name
		}
		knowledge = append(knowledge, map[string]string{"id": id, "name": name})
	}
	workflows := []map[string]string{}
	for _, id := range cfg.WorkflowIDs {
		wf := rs.workflows[id]
		workflows = append(workflows, map[string]string{"id": id, "name": wf.Name, "icon_url": "", "description": wf.description()})
	}
	onboarding := map[string]any{"prologue": cfg.Prologue}
	if len(cfg.Suggested) > 0 {
		onboarding["suggested_questions"] = cfg.Suggested
	}
	reply := map[string]any{"reply_mode": cmp.Or(cfg.ReplyMode, "disable")}
	if cfg.CustomPrompt != "" {
		reply["customized_prompt"] = cfg.CustomPrompt
	}
	return map[string]any{
		"bot_id":                bt.ID,
		"name":                  cfg.Name,
		"description":           cfg.Description,
		"icon_url":              iconURL(cfg.IconFileID),
		"create_time":           bt.Created,
		"update_time":           bt.Updated,
		"version":               bt.Version,
		"prompt_info":           map[string]string{"prompt": cfg.Prompt},
		"onboarding_info":       onboarding,
		"bot_mode":              0,
		"plugin_info_list":      []any{},
		"model_info":            map[string]string{"model_id": cmp.Or(cfg.ModelID, defaultModelID), "model_name": "emulated model"},
		"knowledge":             map[string]any{"knowledge_infos": knowledge},
		"shortcut_commands":     []any{},
		"workflow_info_list":    workflows,
		"suggest_reply_info":    reply,
		"background_image_info": map[string]any{},
		"variables":             []any{},
	}
}

// iconURL is the emulated address of an uploaded icon, "" for none.
func iconURL(fileID string) string {
	if fileID == "" {
		return ""
	}
	return "https://emulator.invalid/files/" + fileID
}

// servePublishedBots answers GET /v1/space/published_bots_list?space_id=
// &page_index=&page_size= (default 20, at most 100) with the space's bots
// published to Agent as API, latest publication first, as
// {"space_bots":[...],"total":n}.
func (s *Server) servePublishedBots(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodGet); !ok {
		return
	}
	q := r.URL.Query()
	space := q.Get("space_id")
	if space == "" {
		invalid(w, "invalid parameter: space_id is required (see /v1/workspaces)")
		return
	}
	num, size, problem := pageQuery(q, 20, 100, "page_index", "page_num")
	if problem != "" {
		invalid(w, problem)
		return
	}
	if !s.allowWorkspace(w, r, space) {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.knownWorkspace(space) {
		resNotFound(w, "workspace", space)
		return
	}
	bots := rs.bots.values(func(b *bot) bool {
		return b.SpaceID == space && b.online != nil && slices.Contains(b.Connectors, APIConnectorID)
	})
	slices.SortStableFunc(bots, func(a, b *bot) int { return cmp.Compare(b.Published, a.Published) })
	items, _ := page(bots, num, size)
	out := make([]map[string]string, 0, len(items))
	for _, b := range items {
		out = append(out, map[string]string{
			"bot_id":       b.ID,
			"bot_name":     b.online.Name,
			"description":  b.online.Description,
			"icon_url":     iconURL(b.online.IconFileID),
			"publish_time": strconv.FormatInt(b.Published, 10),
		})
	}
	writeData(w, map[string]any{"space_bots": out, "total": len(bots)})
}

// serveBotsList answers GET /v1/bots?workspace_id=&publish_status=
// &connector_id=&page_num=&page_size= (default 20, at most 100) with
// {"items":[...],"total":n}, oldest bot first. publish_status is
// published_online (default), published_draft, unpublished_draft or all.
func (s *Server) serveBotsList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.enter(w, r, http.MethodGet); !ok {
		return
	}
	q := r.URL.Query()
	space := q.Get("workspace_id")
	if space == "" {
		invalid(w, "invalid parameter: workspace_id is required (see /v1/workspaces)")
		return
	}
	status := cmp.Or(q.Get("publish_status"), "published_online")
	connector := q.Get("connector_id")
	var keep func(*bot) bool
	switch status {
	case "all":
		keep = func(*bot) bool { return true }
	case "published_online":
		keep = func(b *bot) bool {
			return b.online != nil && (connector == "" || slices.Contains(b.Connectors, connector))
		}
	case "published_draft":
		keep = func(b *bot) bool {
			return b.online != nil && b.dirty && (connector == "" || slices.Contains(b.Connectors, connector))
		}
	case "unpublished_draft":
		keep = func(b *bot) bool { return b.online == nil }
	default:
		invalid(w, "invalid parameter publish_status: want all, published_online, published_draft or unpublished_draft")
		return
	}
	num, size, problem := pageQuery(q, 20, 100, "page_num", "page_index")
	if problem != "" {
		invalid(w, problem)
		return
	}
	if !s.allowWorkspace(w, r, space) {
		return
	}
	rs := s.res()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.knownWorkspace(space) {
		resNotFound(w, "workspace", space)
		return
	}
	bots := rs.bots.values(func(b *bot) bool { return b.SpaceID == space && keep(b) })
	items, _ := page(bots, num, size)
	out := make([]map[string]any, 0, len(items))
	for _, b := range items {
		cfg := &b.draft
		if status == "published_online" {
			cfg = b.online
		}
		item := map[string]any{
			"id":            b.ID,
			"name":          cfg.Name,
			"icon_url":      iconURL(cfg.IconFileID),
			"updated_at":    b.Updated,
			"description":   cfg.Description,
			"is_published":  b.online != nil,
			"owner_user_id": b.Owner,
		}
		if b.online != nil {
			item["published_at"] = b.Published
		}
		out = append(out, item)
	}
	writeData(w, map[string]any{"items": out, "total": len(bots)})
}

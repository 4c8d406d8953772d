package profile

import "sync"

type memoMap struct {
	mu sync.Mutex
	m  map[string]any
}

// Memo returns the value built once per profile under key, so that what is
// derived from a profile (a card layout, say) is shared by every card built
// from it and lives as long as the profile does.
func (p *Profile) Memo(key string, build func() (any, error)) (any, error) {
	if p.memo == nil {
		// A Profile not made by Load or Parse: nothing to share.
		return build()
	}
	p.memo.mu.Lock()
	defer p.memo.mu.Unlock()
	if v, ok := p.memo.m[key]; ok {
		return v, nil
	}
	v, err := build()
	if err != nil {
		return nil, err
	}
	if p.memo.m == nil {
		p.memo.m = map[string]any{}
	}
	p.memo.m[key] = v
	return v, nil
}

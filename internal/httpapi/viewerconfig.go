package httpapi

import "net/http"

// handleViewerConfig tells the map page what the operator configured:
// the basemap (or null) and whether the data is the synthetic demo
// (viewer.Config). It is small and changes only with a restart.
func (s *Server) handleViewerConfig(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-cache")
	return writeJSON(w, http.StatusOK, mediaJSON, s.cfg.Viewer)
}

package server

import (
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tickwire/tickwire/assets"
)

// assetRoutes serves the landing page at / and the browser client under /play/, when built.
func (s *Server) assetRoutes(e *echo.Echo) {
	web, _ := fs.Sub(assets.Files, "web")
	e.GET("/", func(c echo.Context) error {
		if b, err := fs.ReadFile(web, "index.html"); err == nil {
			return c.HTMLBlob(http.StatusOK, b)
		}
		b, err := fs.ReadFile(assets.Files, "index.html")
		if err != nil {
			return err
		}
		return c.HTMLBlob(http.StatusOK, b)
	})
	e.GET("/web/*", echo.WrapHandler(http.StripPrefix("/web/", http.FileServer(http.FS(web)))))
}

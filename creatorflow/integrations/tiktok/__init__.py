"""TikTok Shop Open API: request signing, webhooks and (later) the HTTP client."""

"""Label providers (Shippo, EasyPost, TikTok Shipping) behind one protocol (``base.py``)."""

"""The Textual dashboard (``creatorflow tui``): a thin view over the services.

Screens compose widgets and wire them; widgets display what they are given and post
messages; workers call the services in threads and post the results back. Importing this
package imports Textual, so the command line imports it only inside ``creatorflow tui``.
"""

from creatorflow.tui.app import CreatorflowApp, make_app

__all__ = ["CreatorflowApp", "make_app"]

"""The Flask extensions, created unbound and bound to the app in ``create_app``.

They live here, below every blueprint and the domain, so that a view can import ``htmx`` or
``limiter`` without importing ``app`` (which imports the blueprints). The database handle ``db``
stays in ``models.py``, beside the declarative base it is built from.
"""

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

"""Flask extensions, created unbound and bound in ``create_app`` through ``init_app``."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from lms.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

from flask_limiter import Limiter  # noqa: E402
from flask_limiter.util import get_remote_address  # noqa: E402

# rate limits for anonymous use of the checking services; storage is Redis when LMS_REDIS_URL is set
limiter = Limiter(key_func=get_remote_address)

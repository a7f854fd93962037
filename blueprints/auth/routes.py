"""Login, logout and password views."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from billing.users import authenticate
from blueprints.auth import bp
from blueprints.auth.forms import LoginForm, PasswordForm
from blueprints.forms import ActionForm
from blueprints.safe_url import local_path
from extensions import limiter
from models import db


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=lambda r: r.status_code == 401)
def login():
    """Show the login form and log the user in; failed attempts are rate limited."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("auth/login.html", form=form), 422
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append("Wrong email or password, or the account is disabled.")
            return render_template("auth/login.html", form=form), 401
        login_user(user)
        db.session.commit()  # a first session token, for a user from before them
        return redirect(local_path(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (a POST, so that a link elsewhere cannot log anyone out)."""
    ActionForm().validate_on_submit()
    if current_user.is_authenticated:
        current_user.end_sessions()  # a copied cookie dies with this one
        db.session.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Change one's own password."""
    form = PasswordForm()
    if request.method == "POST":
        valid = form.validate_on_submit()
        if valid and not current_user.check_password(form.current.data):
            form.current.errors = ["That is not your current password."]
            valid = False
        if valid:
            current_user.set_password(form.new.data)  # ends every session of this user...
            db.session.commit()
            login_user(current_user._get_current_object())  # ...but this one goes on
            flash("Your password is changed; your other sessions are logged out.", "success")
            return redirect(url_for("main.index"))
        return render_template("auth/password.html", form=form), 422
    return render_template("auth/password.html", form=form)

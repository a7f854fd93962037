"""Admin > Users: who may log in, with which role; there is always an active admin."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from billing.errors import Conflict
from billing.users import create_user, reset_password, update_user
from blueprints.admin import bp
from blueprints.admin.forms import PasswordResetForm, UserCreateForm, UserEditForm
from blueprints.saving import saving
from models import User, db


@bp.route("/users")
def users():
    """All users: active ones first, by name."""
    query = select(User).order_by(User.active.desc(), User.name, User.email)
    return render_template("admin/users.html", users=db.session.scalars(query).all())


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    """Create a user who can log in with the password the admin gives them."""
    form = UserCreateForm()
    if request.method == "GET":
        return render_template("admin/user_new.html", form=form)
    if form.validate_on_submit():
        with saving(form) as saved:
            user = create_user(
                form.email.data,
                form.password.data,
                form.role.data,
                form.name.data,
                can_see_billing=form.can_see_billing.data,
            )
        if saved.ok:
            flash(f"User {user.email} created.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_new.html", form=form), 422


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    """Change a user's name, role, active flag and billing permission; never the last active
    admin's role or active flag.

    :raise 404: no such user.
    """
    user = db.get_or_404(User, user_id)
    if request.method == "GET":
        return _page(user, _filled(user))
    form = UserEditForm()
    if not form.validate_on_submit():
        return _page(user, form), 422
    try:
        with saving(form) as saved:
            update_user(
                user,
                name=form.name.data,
                role=form.role.data,
                active=form.active.data,
                can_see_billing=form.can_see_billing.data,
            )
    except Conflict as error:
        db.session.rollback()
        # The last-admin rule is about the role and the active flag: say so beside the role.
        form.role.errors.append(str(error))
        return _page(user, form), 409
    if not saved.ok:
        return _page(user, form), 422
    flash(f"User {user.email} saved.", "success")
    if user.id == current_user.id and not (user.is_admin and user.active):
        return redirect(url_for("main.index"))  # one's own admin pages are gone now
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def user_password(user_id: int):
    """Set a new password for a user (who forgot theirs).

    :raise 404: no such user.
    """
    user = db.get_or_404(User, user_id)
    form = PasswordResetForm(prefix="reset")
    if form.validate_on_submit():
        with saving(form) as saved:
            reset_password(user, form.password.data)
        if saved.ok:
            flash(f"Password changed for {user.email}.", "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return _page(user, _filled(user), form), 422


def _filled(user: User) -> UserEditForm:
    """The edit form showing ``user`` as stored (ignoring any posted data)."""
    data = {
        "name": user.name,
        "role": user.role.value,
        "active": user.active,
        "can_see_billing": user.can_see_billing,
    }
    return UserEditForm(formdata=None, data=data)


def _page(user: User, form: UserEditForm, reset: PasswordResetForm | None = None) -> str:
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=form,
        reset=reset or PasswordResetForm(prefix="reset", formdata=None),
    )

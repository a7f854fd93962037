"""Users: creating them with validated input, and the last-admin rule."""

import re
import secrets
from collections.abc import Iterable
from functools import cache

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from billing.errors import Conflict, ValidationFailed
from models import Role, User, db

MIN_PASSWORD = 10
ADDRESS_SEPARATORS = re.compile(r"[,;\s]+")


def normalize_email(email: str, *, field: str = "email") -> str:
    """A syntactically valid address, lower-cased; no DNS look-up (self-hosted, maybe offline).

    :raise ValidationFailed: the address is malformed.
    """
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValidationFailed(str(error), field) from None


def split_addresses(text: str | None) -> list[str]:
    """The addresses typed in ``text``: one per line, or separated by commas or semicolons."""
    return [part for part in ADDRESS_SEPARATORS.split(text or "") if part]


def check_addresses(
    addresses: Iterable[str], *, most: int, none: str, too_many: str, field: str
) -> list[str]:
    """A list of email addresses (billing emails, recipients): each validated and normalised,
    duplicates dropped, order kept.

    :raise ValidationFailed: beside ``field``: a malformed address (named), none at all
        (``none``), or more than ``most`` (``too_many``).
    """
    checked: list[str] = []
    for address in addresses:
        try:
            normalized = normalize_email(address, field=field)
        except ValidationFailed as error:
            raise ValidationFailed(f"{address}: {error}", field) from None
        if normalized not in checked:
            checked.append(normalized)
    if not checked:
        raise ValidationFailed(none, field)
    if len(checked) > most:
        raise ValidationFailed(too_many, field)
    return checked


def check_password_strength(password: str, *, field: str = "password") -> None:
    """:raise ValidationFailed: the password is too short."""
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"Use at least {MIN_PASSWORD} characters.", field)


def create_user(
    email: str, password: str, role: Role | str, name: str = "", *, can_see_billing: bool = False
) -> User:
    """Add a user (not committed); admins see billing whatever ``can_see_billing`` says.

    :raise ValidationFailed: bad email, weak password, unknown role, or the email is taken.
    """
    address = normalize_email(email)
    check_password_strength(password)
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed("Choose admin or technician.", "role") from None
    taken = db.session.scalar(select(User.id).where(func.lower(User.email) == address))
    if taken is not None:
        raise ValidationFailed("A user with this email exists already.", "email")
    user = User(
        email=address,
        name=((name or "").strip() or address.split("@")[0]),
        role=role,
        can_see_billing=can_see_billing,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def ensure_admin_remains(user: User, *, new_role: Role, new_active: bool) -> None:
    """Refuse a change that would leave no active admin.

    :raise Conflict: ``user`` is the last active admin and would stop being one.
    """
    stays_admin = new_role == Role.ADMIN and new_active
    if stays_admin or not (user.role == Role.ADMIN and user.active):
        return
    others = db.session.scalar(
        select(func.count(User.id)).where(
            User.role == Role.ADMIN, User.active.is_(True), User.id != user.id
        )
    )
    if not others:
        raise Conflict("This is the last active admin: make someone else admin first.")


def update_user(
    user: User, *, name: str, role: Role | str, active: bool, can_see_billing: bool | None = None
) -> User:
    """Change a user's name, role, active flag and (when given) billing permission (not
    committed).

    :raise ValidationFailed: empty name or unknown role.
    :raise Conflict: the change would leave no active admin.
    """
    name = name.strip()
    if not name:
        raise ValidationFailed("Enter a name.", "name")
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed("Choose admin or technician.", "role") from None
    ensure_admin_remains(user, new_role=role, new_active=active)
    if user.active and not active:
        user.end_sessions()  # deactivated: logged out everywhere at once
    user.name, user.role, user.active = name, role, active
    if can_see_billing is not None:
        user.can_see_billing = can_see_billing
    db.session.flush()
    return user


def reset_password(user: User, password: str) -> None:
    """Give ``user`` a new password chosen by an admin (not committed).

    :raise ValidationFailed: the password is too short.
    """
    check_password_strength(password)
    user.set_password(password)
    db.session.flush()


@cache
def _decoy_hash() -> str:
    """A hash to check a password against when no account has the email, with the same cost as
    a real one (the hashing method is the app's), so the answer's timing tells nothing."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> User | None:
    """The active user with ``email`` (any case) and ``password``, or None: the same work
    whether the email exists or not."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        check_password_hash(_decoy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user

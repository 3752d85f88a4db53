from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from lms.accounts import services
from lms.accounts.forms import (
    ActionForm,
    ChangePasswordForm,
    ConfirmRegistrationForm,
    ForgotForm,
    LoginForm,
    NamesForm,
    OrganisationForm,
    ProfileForm,
    RegisterForm,
    ResetForm,
    RoleForm,
)
from lms.db import requested_page
from lms.extensions import db, limiter
from lms.i18n import select_locale
from lms.mail import queue_mail
from lms.security import ROLES, login_required, role_required

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths are followed after login or a language switch."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def _form_address() -> str:
    return "account-mail:" + services.normalise_email(request.form.get("email", ""))[:254]


def _account_mail_client_limit() -> str:
    return current_app.config["ACCOUNT_MAIL_CLIENT_LIMIT"]


def _account_mail_sent(response) -> bool:
    return g.get("account_mail_counted", False)


# Registration and reset requests e-mail whatever address they are given: five submissions per e-mail address an
# hour, counted alike whether or not the address has an account (so the pause tells nothing either), and
# ACCOUNT_MAIL_CLIENT_LIMIT per client address across all e-mail addresses (so nobody mails a list in bulk).
ACCOUNT_MAIL_LIMIT = "5 per hour"
_account_mail_limit = limiter.limit(ACCOUNT_MAIL_LIMIT, key_func=_form_address, methods=["POST"],
                                    deduct_when=_account_mail_sent)
_account_mail_client = limiter.shared_limit(_account_mail_client_limit, scope="account-mail-client",
                                            methods=["POST"], deduct_when=_account_mail_sent)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        db.session.commit()  # failures are recorded even though the login is refused
        if result.locked_minutes:
            flash(_("Too many failed attempts. Try again in %(n)d minutes, or reset your password.",
                    n=result.locked_minutes), "error")
            status = 429
        elif result.user is None:
            flash(_("The e-mail address or the password is not correct."), "error")
            status = 401
        else:
            session.pop("lang", None)
            login_user(result.user)
            session["lang"] = result.user.locale
            return redirect(safe_next(request.args.get("next"), url_for("dashboard.home")))
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    services.end_sessions(current_user)  # a copy of this session's cookie is refused from now on
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out on every device."), "info")
    return redirect(url_for("core.index"))


@bp.route("/register", methods=["GET", "POST"])
@_account_mail_client
@_account_mail_limit
def register():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        g.account_mail_counted = True
        try:
            asked = services.request_registration(form.email.data, form.password.data, name_zh=form.name_zh.data,
                                                  name_latin=form.name_latin.data, locale=select_locale())
        except services.AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            base = current_app.config["LMS_BASE_URL"]
            if asked.token:
                queue_mail(asked.email, "registration_confirm", hours=current_app.config["REGISTRATION_LINK_HOURS"],
                           link=base + url_for("accounts.confirm_registration", token=asked.token))
            elif asked.existing is not None:
                queue_mail(asked.email, "registration_existing", login=base + url_for("accounts.login"),
                           forgot=base + url_for("accounts.forgot"))
            db.session.commit()
            # the same page whether or not the address has an account: the e-mail says the rest
            return render_template("accounts/registered.html", email=asked.email)
    return render_template("accounts/register.html", form=form)


def _confirm_link_key() -> str:
    return "register-confirm:" + (request.view_args or {}).get("token", "")[:100]


# the password asked on the confirmation page: a few tries per link (only the address's mailbox has the link)
@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@limiter.limit("10 per hour", key_func=_confirm_link_key, methods=["POST"])
def confirm_registration(token: str):
    pending = services.pending_registration(token)
    form = ConfirmRegistrationForm()
    if pending is not None and form.validate_on_submit():
        done = services.confirm_registration(token, form.password.data)
        db.session.commit()
        if done.wrong_password:
            form.password.errors.append(_("This is not the password chosen when the address was registered. "
                                          "If you did not register, register again with your own password: "
                                          "only the newest link of an address works."))
            return render_template("accounts/confirm.html", form=form, email=pending.email), 400
        if done.user is not None:
            session.pop("lang", None)
            login_user(done.user)
            session["lang"] = done.user.locale
            flash(_("Welcome! Your trainee account is ready. Complete your profile when you can."), "success")
            return redirect(url_for("dashboard.home"))
        if done.exists:
            flash(_("This e-mail address has an account already. Log in with it."), "info")
            return redirect(url_for("accounts.login"))
        pending = None
    if pending is None:
        flash(_("This confirmation link is invalid, has expired or was already used. Register again."), "error")
        return redirect(url_for("accounts.register"))
    return render_template("accounts/confirm.html", form=form, email=pending.email)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        services.update_profile(user, name_zh=form.name_zh.data, name_latin=form.name_latin.data,
                                employer_name=form.employer_name.data, job_title=form.job_title.data,
                                years_experience=form.years_experience.data, locale=form.locale.data)
        session["lang"] = form.locale.data
        db.session.commit()
        flash(_("Profile saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.password.data)
        except services.AccountError as exc:
            form.current.errors.append(str(exc))
        else:
            db.session.commit()
            login_user(current_user)  # keep this session alive with the new session version
            flash(_("Password changed. Other sessions have been signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form)


@bp.route("/account/forgot", methods=["GET", "POST"])
@_account_mail_client
@_account_mail_limit
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        g.account_mail_counted = True
        user = services.user_by_email(form.email.data)
        if user is not None and user.active:
            token = services.create_reset_token(user)
            link = current_app.config["LMS_BASE_URL"] + url_for("accounts.reset", token=token)
            queue_mail(user.email, "password_reset", hours=current_app.config["RESET_TOKEN_HOURS"], link=link)
        else:
            # a mail either way, so that the answer takes the same work; only the address's owner reads which
            queue_mail(form.email.data.strip(), "password_reset_unknown",
                       register=current_app.config["LMS_BASE_URL"] + url_for("accounts.register"))
        db.session.commit()
        # the same answer whether or not the address is known
        flash(_("If an account exists for that address, a reset link is on its way."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    if services.valid_reset_token(token) is None:
        flash(_("This reset link is invalid, has expired or was already used."), "error")
        return redirect(url_for("accounts.forgot"))
    form = ResetForm()
    if form.validate_on_submit():
        services.consume_reset_token(token, form.password.data)
        db.session.commit()
        flash(_("Your password is set. Log in with it now."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


# --- administration ---

@bp.get("/admin/users")
@role_required("admin")
def admin_users():
    page = requested_page()
    text = request.args.get("q", "")
    role = request.args.get("role", "")
    status = request.args.get("status", "")
    users = services.search_users(text, role, status, page=page)
    return render_template("admin/users.html", users=users, q=text, role=role, status=status, roles=ROLES)


def _user_or_404(public_id: str):
    user = services.user_by_public_id(public_id)
    if user is None:
        abort(404)
    return user


@bp.get("/admin/users/<public_id>")
@role_required("admin")
def admin_user(public_id: str):
    user = _user_or_404(public_id)
    return _admin_user_page(user)


def _admin_user_page(user, names_form=None):
    return render_template("admin/user.html", user=user, role_form=RoleForm(), action_form=ActionForm(),
                           names_form=NamesForm(obj=user) if names_form is None else names_form,
                           org_form=OrganisationForm(organisation=user.organisation.name if user.organisation else ""))


@bp.post("/admin/users/<public_id>/names")
@role_required("admin")
def admin_user_names(public_id: str):
    user = _user_or_404(public_id)
    form = NamesForm()
    if not form.validate_on_submit():
        return _admin_user_page(user, names_form=form), 400
    services.set_names(current_user, user, name_zh=form.name_zh.data, name_latin=form.name_latin.data)
    db.session.commit()
    flash(_("Names saved."), "success")
    return redirect(url_for("accounts.admin_user", public_id=public_id))


@bp.post("/admin/users/<public_id>/roles/<action>")
@role_required("admin")
def admin_user_role(public_id: str, action: str):
    user = _user_or_404(public_id)
    form = RoleForm()
    if action not in ("grant", "remove") or not form.validate_on_submit():
        abort(400)
    try:
        (services.grant_role if action == "grant" else services.remove_role)(current_user, user, form.role.data)
    except services.AccountError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Roles updated."), "success")
    return redirect(url_for("accounts.admin_user", public_id=public_id))


@bp.post("/admin/users/<public_id>/active/<int:value>")
@role_required("admin")
def admin_user_active(public_id: str, value: int):
    user = _user_or_404(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.set_active(current_user, user, bool(value))
    except services.AccountError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Account reactivated.") if value else _("Account deactivated."), "success")
    return redirect(url_for("accounts.admin_user", public_id=public_id))


@bp.post("/admin/users/<public_id>/organisation")
@role_required("admin")
def admin_user_organisation(public_id: str):
    user = _user_or_404(public_id)
    form = OrganisationForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_organisation(current_user, user, form.organisation.data)
    db.session.commit()
    flash(_("Organisation saved."), "success")
    return redirect(url_for("accounts.admin_user", public_id=public_id))

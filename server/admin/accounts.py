"""Admin pages for users, groups and lane mapping, units and partner agencies (no case data here)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import Admin, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server import clock
from server.admin import service
from server.admin.views import SinergiView, actor, field_errors, form_int
from server.db import unit_of_work
from server.errors import DomainError

CATEGORY = _l("People and organisation")


def _choices(session: Any) -> dict[str, Any]:
    return {"groups": [g for g, _n in service.list_groups(session)], "units": service.list_units(session),
            "partners": service.list_partners(session)}


class UsersView(SinergiView):
    @expose("/")
    def index(self) -> Any:
        with unit_of_work() as session:
            users = service.list_users(session)
        return self.render("admin/sinergi/users.html", users=users)

    def _user_form(self) -> dict[str, Any]:
        return {"full_name": request.form.get("full_name", ""), "email": request.form.get("email") or None,
                "groups": request.form.getlist("groups"), "unit_id": form_int("unit_id"),
                "partner_id": form_int("partner_id")}

    @expose("/new", methods=("GET", "POST"))
    def create(self) -> Any:
        errors: dict[str, str] = {}
        if request.method == "POST":
            try:
                with unit_of_work() as session:
                    user = service.create_user(session, username=request.form.get("username", ""),
                                               password=request.form.get("password", ""), actor=actor(),
                                               now=clock.utcnow(), **self._user_form())
                flash(_("User %(name)s created.", name=user.username), "success")
                return redirect(url_for(".edit", user_id=user.id))
            except DomainError as exc:
                errors = field_errors(exc)
        with unit_of_work() as session:
            choices = _choices(session)
        status = 422 if errors else 200
        return self.render("admin/sinergi/user_form.html", user=None, form=request.form, errors=errors,
                           **choices), status

    @expose("/<int:user_id>/", methods=("GET", "POST"))
    def edit(self, user_id: int) -> Any:
        errors: dict[str, str] = {}
        if request.method == "POST":
            try:
                with unit_of_work() as session:
                    service.update_user(session, user_id=user_id, actor=actor(), now=clock.utcnow(),
                                        **self._user_form())
                flash(_("Changes saved."), "success")
                return redirect(url_for(".edit", user_id=user_id))
            except DomainError as exc:
                errors = field_errors(exc)
        with unit_of_work() as session:
            user = service.get_user(session, user_id)
            choices = _choices(session)
        return self.render("admin/sinergi/user_form.html", user=user, form=request.form if errors else None,
                           errors=errors, **choices), 422 if errors else 200

    @expose("/<int:user_id>/active", methods=("POST",))
    def active(self, user_id: int) -> Any:
        want = request.form.get("active") == "1"
        try:
            with unit_of_work() as session:
                user = service.set_active(session, user_id=user_id, active=want, actor=actor(), now=clock.utcnow())
            flash(_("%(name)s can log in again.", name=user.username) if want
                  else _("%(name)s is deactivated.", name=user.username), "success")
        except DomainError as exc:
            flash(exc.message, "error")
        return redirect(url_for(".edit", user_id=user_id))

    @expose("/<int:user_id>/password", methods=("POST",))
    def password(self, user_id: int) -> Any:
        try:
            with unit_of_work() as session:
                new = service.reset_password(session, user_id=user_id, password=request.form.get("password") or None,
                                             actor=actor(), now=clock.utcnow())
                user = service.get_user(session, user_id)
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".edit", user_id=user_id))
        # Shown once on this page, never put into the (signed, not encrypted) flash cookie.
        generated = not request.form.get("password")
        return self.render("admin/sinergi/password_done.html", user=user, password=new if generated else None)


class GroupsView(SinergiView):
    """Groups (which are roles) and the mapping of BPMN lanes to groups."""

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        errors: dict[str, str] = {}
        if request.method == "POST":
            try:
                with unit_of_work() as session:
                    if request.form.get("kind") == "lane":
                        service.save_lane(session, lane=request.form.get("lane", ""),
                                          group_id=form_int("group_id") or 0, actor=actor(), now=clock.utcnow())
                    else:
                        service.save_group(session, group_id=form_int("id"), name=request.form.get("name", ""),
                                           title=request.form.get("title", ""), actor=actor(), now=clock.utcnow())
                flash(_("Changes saved."), "success")
                return redirect(url_for(".index"))
            except DomainError as exc:
                errors = field_errors(exc)
        with unit_of_work() as session:
            groups = service.list_groups(session)
            lanes = service.list_lanes(session)
            used = service.lanes_in_use(session)
            names = {g.name for g, _n in groups}
        mapped = {m.lane for m in lanes}
        unmapped = {lane: keys for lane, keys in used.items() if lane not in mapped and lane not in names}
        return self.render("admin/sinergi/groups.html", groups=groups, lanes=lanes, used=used, unmapped=unmapped,
                           names=names, errors=errors, form=request.form), 422 if errors else 200

    @expose("/lanes/<int:mapping_id>/delete", methods=("POST",))
    def delete_lane(self, mapping_id: int) -> Any:
        with unit_of_work() as session:
            service.delete_lane(session, mapping_id=mapping_id, actor=actor(), now=clock.utcnow())
        flash(_("The lane mapping was removed."), "success")
        return redirect(url_for(".index"))


class UnitsView(SinergiView):
    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        errors: dict[str, str] = {}
        if request.method == "POST":
            try:
                with unit_of_work() as session:
                    service.save_unit(session, unit_id=form_int("id"), code=request.form.get("code", ""),
                                      name=request.form.get("name", ""), actor=actor(), now=clock.utcnow())
                flash(_("Changes saved."), "success")
                return redirect(url_for(".index"))
            except DomainError as exc:
                errors = field_errors(exc)
        with unit_of_work() as session:
            units = service.list_units(session)
        return self.render("admin/sinergi/units.html", units=units, errors=errors,
                           form=request.form), 422 if errors else 200


class PartnersView(SinergiView):
    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        errors: dict[str, str] = {}
        if request.method == "POST":
            try:
                with unit_of_work() as session:
                    service.save_partner(session, partner_id=form_int("id"), code=request.form.get("code", ""),
                                         name=request.form.get("name", ""), kind=request.form.get("kind", ""),
                                         group_id=form_int("group_id"), actor=actor(), now=clock.utcnow())
                flash(_("Changes saved."), "success")
                return redirect(url_for(".index"))
            except DomainError as exc:
                errors = field_errors(exc)
        with unit_of_work() as session:
            partners = service.list_partners(session)
            groups = {g.id: g for g, _n in service.list_groups(session)}
        return self.render("admin/sinergi/partners.html", partners=partners, groups=groups,
                           kinds=service.PARTNER_KINDS, errors=errors, form=request.form), 422 if errors else 200


def register(admin: Admin) -> None:
    admin.add_view(UsersView(name=_l("Users"), endpoint="admin_users", url="users", category=CATEGORY))
    admin.add_view(GroupsView(name=_l("Groups and lanes"), endpoint="admin_groups", url="groups", category=CATEGORY))
    admin.add_view(UnitsView(name=_l("Units"), endpoint="admin_units", url="units", category=CATEGORY))
    admin.add_view(PartnersView(name=_l("Partner agencies"), endpoint="admin_partners", url="partners",
                                category=CATEGORY))


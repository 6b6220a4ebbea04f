"""The tabs of the administration page. Each one reads through `core.admin` and sends every
change through one `core.admin` call (`ui.forms.call`): rules and the audit log live there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from core import accounts, admin
from core.config import settings
from core.errors import ValidationFailed
from core.lifecycle import ROLE_LABELS, Role
from core.records import Actor
from core.reference import LIST_LABELS, ImportReport
from ui import format as fmt
from ui import paging
from ui.forms import call, field_error, flash, form_key, other_errors, text_field

TABS = ("Utilisateurs", "Sociétés", "Référentiels", "Nomenclature", "Journal", "Démonstration")
TAB_KEY = "admin_tab"
REPORT_KEY = "eld_admin_import_report"
JOURNAL = "admin_journal"
CONFIRM_WORD = "RÉINITIALISER"
ROLES = tuple(Role)


def _table(rows: list[dict[str, Any]], empty: str, **kwargs: Any) -> None:
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", **kwargs)
    else:
        st.caption(empty)


def _refresh_caches() -> None:
    """Drop-down lists are cached by the licence screens: show the change at once."""
    st.cache_resource.clear()
    st.cache_data.clear()


# ------------------------------------------------------------------ users
NO_COMPANY = 0  # a selectbox shows its placeholder for a None option: 0 stands for "none"


def _company_choices(actor: Actor) -> dict[int, str]:
    choices = {NO_COMPANY: "— Aucune —"}
    choices.update({c.id: f"{c.name} (ICE {c.ice})" for c in admin.list_companies(actor)})
    return choices


def _company(choice: int | None) -> int | None:
    return choice or None


def _state(user: admin.UserRow) -> str:
    if not user.active:
        return "Désactivé"
    if user.is_locked():
        # Held back: only the clients that failed on the account (see the README).
        state = (f"Connexions ralenties jusqu'au {fmt.datetime(user.locked_until)} "
                 f"({fmt.LOCAL_TIME_LABEL}), {user.failed_attempts} échec(s)")
    elif user.failed_attempts:
        state = f"Actif ({user.failed_attempts} échec(s) récent(s))"
    else:
        state = "Actif"
    return state + (" · mot de passe à changer" if user.must_change_password else "")


def users_tab(actor: Actor) -> None:
    users = admin.list_users(actor)
    _table([{"Utilisateur": u.username, "Nom complet": u.full_name, "Profil": u.role_label,
             "Société": u.company_name or "—", "État": _state(u),
             "Créé le": fmt.date(u.created_at)} for u in users], "Aucun utilisateur.",
           column_config={"Société": st.column_config.TextColumn(width="medium")})
    companies = _company_choices(actor)
    left, right = st.columns(2, gap="large")
    with left:
        _new_user_form(actor, companies)
    with right:
        _manage_user(actor, users, companies)


def _new_user_form(actor: Actor, companies: Mapping[int, str]) -> None:
    form = "admin_new_user"
    key = form_key(form)
    st.markdown("#### Créer un utilisateur")
    with st.form(key, border=True):
        username = text_field(form, "username", "Nom d'utilisateur", max_chars=60,
                              help="Lettres minuscules, chiffres, . _ -")
        full_name = text_field(form, "full_name", "Nom complet", max_chars=200)
        password = text_field(form, "password", "Mot de passe", type="password",
                              max_chars=accounts.MAX_PASSWORD_CHARS,
                              help=f"{accounts.PASSWORD_HELP} Provisoire : l'utilisateur le "
                                   "remplace à sa première connexion.")
        role = st.selectbox("Profil", ROLES, format_func=lambda r: ROLE_LABELS[r],
                            key=f"{key}_role")
        field_error(form, "role")
        company = st.selectbox("Société (obligatoire pour un exportateur)", list(companies),
                               format_func=lambda c: companies[c], key=f"{key}_company")
        field_error(form, "company_id")
        if st.form_submit_button("Créer l'utilisateur", type="primary"):
            call(form, lambda: admin.add_user(actor, username, full_name, password,
                                              str(role), _company(company)),
                 f"Utilisateur {username.strip().lower()} créé : il choisira son mot de "
                 "passe à sa première connexion.", renew=True)
    other_errors(form, {"username", "full_name", "password", "role", "company_id"})


def _manage_user(actor: Actor, users: list[admin.UserRow],
                 companies: Mapping[int, str]) -> None:
    st.markdown("#### Gérer un compte")
    by_id = {u.id: u for u in users}
    if not by_id:
        return
    uid = st.selectbox("Compte", list(by_id), key="admin_user_pick",
                       format_func=lambda i: f"{by_id[i].username} — {by_id[i].full_name}")
    user = by_id[uid]
    st.markdown(f"**{fmt.md_escape(user.full_name)}** · {user.role_label}"
                + (f" · {fmt.md_escape(user.company_name)}" if user.company_name else "")
                + f"  \nÉtat : {_state(user)}")
    form = "admin_user_actions"
    access_column, unlock_column = st.columns(2)
    with access_column:
        if user.active:
            if st.button("Désactiver", key="admin_deactivate", icon=":material/block:",
                         width="stretch", disabled=user.id == actor.user_id,
                         help="Le compte ne peut plus se connecter ; ses sessions sont fermées."):
                call(form, lambda: admin.deactivate_user(actor, user.id),
                     f"Compte {user.username} désactivé, ses sessions sont fermées.")
        elif st.button("Réactiver", key="admin_reactivate", icon=":material/check_circle:",
                       width="stretch"):
            call(form, lambda: admin.reactivate_user(actor, user.id),
                 f"Compte {user.username} réactivé.")
    with unlock_column:
        if st.button("Déverrouiller", key="admin_unlock", icon=":material/lock_open:",
                     width="stretch", disabled=not (user.is_locked() or user.failed_attempts),
                     help="Efface les échecs de connexion et les délais d'attente."):
            call(form, lambda: admin.unlock_user(actor, user.id),
                 f"Compte {user.username} déverrouillé.")
    other_errors(form, set())
    _password_form(actor, user)
    _role_form(actor, user, companies)


def _password_form(actor: Actor, user: admin.UserRow) -> None:
    form = "admin_password"
    with st.form(form_key(form), border=True):
        st.markdown("**Réinitialiser le mot de passe**")
        password = text_field(form, "password", "Nouveau mot de passe", type="password",
                              max_chars=accounts.MAX_PASSWORD_CHARS,
                              help=f"{accounts.PASSWORD_HELP} Provisoire : l'utilisateur le "
                                   "remplace à sa prochaine connexion.")
        if st.form_submit_button("Réinitialiser le mot de passe"):
            call(form, lambda: admin.reset_password(actor, user.id, password),
                 f"Mot de passe de {user.username} réinitialisé ; ses sessions sont fermées "
                 "et il le remplacera à sa prochaine connexion.", renew=True)
    other_errors(form, {"password"})


def _role_form(actor: Actor, user: admin.UserRow, companies: Mapping[int, str]) -> None:
    form = "admin_role"
    with st.form(f"{form}_{user.id}", border=True):
        st.markdown("**Changer le profil**")
        role = st.selectbox("Nouveau profil", ROLES, index=ROLES.index(Role(user.role)),
                            format_func=lambda r: ROLE_LABELS[r], key=f"{form}_{user.id}_role",
                            disabled=user.id == actor.user_id)
        field_error(form, "role")
        codes = list(companies)
        company = st.selectbox("Société (pour un exportateur)", codes,
                               index=codes.index(user.company_id or NO_COMPANY),
                               key=f"{form}_{user.id}_company",
                               format_func=lambda c: companies[c],
                               disabled=user.id == actor.user_id)
        field_error(form, "company_id")
        if st.form_submit_button("Changer le profil", disabled=user.id == actor.user_id):
            call(form, lambda: admin.change_role(actor, user.id, str(role), _company(company)),
                 f"Profil de {user.username} : {ROLE_LABELS[Role(role)]}.")
    if user.id == actor.user_id:
        st.caption("Votre propre compte ne peut être ni désactivé ni changé de profil.")
    other_errors(form, {"role", "company_id"})


# ------------------------------------------------------------------ companies
def companies_tab(actor: Actor) -> None:
    rows = admin.list_companies(actor)
    _table([{"Raison sociale": c.name, "ICE": c.ice, "Utilisateurs": c.users,
             "Licences": c.licences, "Créée le": fmt.date(c.created_at)} for c in rows],
           "Aucune société.")
    form = "admin_company"
    st.markdown("#### Créer une société exportatrice")
    with st.form(form_key(form), border=True):
        name = text_field(form, "name", "Raison sociale", max_chars=200)
        ice = text_field(form, "ice", "ICE (Identifiant Commun de l'Entreprise)", max_chars=15,
                         help="15 chiffres")
        if st.form_submit_button("Créer la société", type="primary"):
            call(form, lambda: admin.create_company(actor, name, ice),
                 f"Société {name.strip()} créée.", renew=True)
    other_errors(form, {"name", "ice"})


# ------------------------------------------------------------------ reference lists
def reference_tab(actor: Actor) -> None:
    # The lists the licence screens use most come first; the category list last.
    names = sorted(LIST_LABELS, key=lambda n: n == "category")
    list_name = st.selectbox("Liste", names, format_func=lambda n: LIST_LABELS[n],
                             key="admin_ref_list")
    items = admin.list_reference(actor, list_name)
    _table([{"Code": i.code, "Libellé": i.label, "Actif": "Oui" if i.active else "Non"}
            for i in items], "Liste vide.",
           column_config={"Code": st.column_config.TextColumn(width="small"),
                          "Libellé": st.column_config.TextColumn(width="large"),
                          "Actif": st.column_config.TextColumn(width="small")})
    st.caption("Un code n'est jamais supprimé (des licences peuvent l'utiliser) : désactivé, il "
               "disparaît des listes de saisie.")
    left, right = st.columns(2, gap="large")
    with left:
        form = "admin_ref_add"
        st.markdown("#### Ajouter un élément")
        with st.form(form_key(form), border=True):
            code = text_field(form, "code", "Code", max_chars=20,
                              help="Lettres majuscules et chiffres, 20 au plus")
            label = text_field(form, "label", "Libellé", max_chars=200)
            if st.form_submit_button("Ajouter", type="primary"):
                call(form, lambda: _changed(admin.add_reference_item(
                    actor, list_name, code, label)), f"Code {code.strip().upper()} ajouté.",
                     renew=True)
        other_errors(form, {"code", "label"})
    with right:
        _edit_item(actor, list_name, items)


def _changed(result: object) -> object:
    _refresh_caches()
    return result


def _edit_item(actor: Actor, list_name: str, items: list[admin.ReferenceRow]) -> None:
    st.markdown("#### Modifier un élément")
    by_code = {i.code: i for i in items}
    if not by_code:
        return
    code = st.selectbox("Élément", list(by_code), key=f"admin_ref_pick_{list_name}",
                        format_func=lambda c: f"{c} – {by_code[c].label}"
                        + ("" if by_code[c].active else " (désactivé)"))
    item = by_code[code]
    form = "admin_ref_edit"
    with st.form(f"{form}_{list_name}_{code}", border=True):
        label = st.text_input("Nouveau libellé", value=item.label, max_chars=200,
                              key=f"{form}_{list_name}_{code}_label")
        field_error(form, "label")
        if st.form_submit_button("Renommer"):
            call(form, lambda: _changed(admin.rename_reference_item(
                actor, list_name, code, label)), f"Code {code} renommé.")
    if item.active:
        if st.button("Désactiver", key="admin_ref_deactivate", icon=":material/block:"):
            call(form, lambda: _changed(admin.deactivate_reference_item(actor, list_name, code)),
                 f"Code {code} désactivé.")
    elif st.button("Réactiver", key="admin_ref_reactivate", icon=":material/check_circle:"):
        call(form, lambda: _changed(admin.reactivate_reference_item(actor, list_name, code)),
             f"Code {code} réactivé.")
    other_errors(form, {"label"})


# ------------------------------------------------------------------ nomenclature
def nomenclature_tab(actor: Actor) -> None:
    st.markdown(
        "Fichier CSV (séparateur `,` `;` ou tabulation, UTF-8) ou Excel (.xlsx, première "
        "feuille) avec les colonnes **code** (10 chiffres), **description** et, si besoin, "
        "**supplementary_unit**. Les codes existants sont mis à jour, les nouveaux ajoutés ; "
        "les lignes incorrectes sont écartées et listées."
    )
    form = "admin_import"
    upload = st.file_uploader("Nomenclature douanière", type=["csv", "xlsx"],
                              key="admin_import_file")
    if st.button("Importer", type="primary", key="admin_import_button", disabled=upload is None,
                 icon=":material/upload:") and upload is not None:
        bar = st.progress(0.0, text="Import en cours…")

        def progress(done: int, total: int) -> None:
            bar.progress(done / max(total, 1), text=f"{done} / {total} lignes enregistrées")

        name, data = upload.name, upload.getvalue()
        report = call(form, lambda: admin.import_nomenclature(actor, name, data, progress),
                      rerun=False)
        if report is not None:
            _refresh_caches()
            st.session_state[REPORT_KEY] = (name, report)
        st.rerun()
    other_errors(form, set())
    shown = st.session_state.get(REPORT_KEY)
    if shown:
        _report(*shown)


def _report(name: str, report: ImportReport) -> None:
    st.markdown(f"#### Résultat de l'import de « {fmt.md_escape(name)} »")
    if [line for line, _, _ in report.rejected] == [0]:  # the file itself could not be read
        st.error(f"Fichier refusé, rien n'a été importé : {fmt.md_escape(report.rejected[0][2])}")
        return
    inserted, updated, rejected = st.columns(3)
    inserted.metric("Codes ajoutés", report.inserted)
    updated.metric("Codes mis à jour", report.updated)
    rejected.metric("Lignes rejetées", len(report.rejected))
    if report.rejected:
        st.warning(f"{len(report.rejected)} ligne(s) rejetée(s) : corrigez-les dans le fichier "
                   "puis importez-le à nouveau (les lignes correctes sont déjà enregistrées).")
        _table([{"Ligne": line, "Code": code or "—", "Motif": reason}
                for line, code, reason in report.rejected], "", key="admin_rejected",
               column_config={"Ligne": st.column_config.NumberColumn(width="small"),
                              "Code": st.column_config.TextColumn(width="small"),
                              "Motif": st.column_config.TextColumn(width="large")})
    else:
        st.success("Toutes les lignes ont été importées.")


# ------------------------------------------------------------------ audit log and demo
def journal_tab(actor: Actor) -> None:
    """The administration log, the most recent first, a page at a time."""
    log = paging.paged(JOURNAL, lambda number: admin.audit_log(actor, number))
    _table([{fmt.with_local_time("Date"): fmt.datetime(r.occurred_at), "Utilisateur": r.username,
             "Action": r.action_label, "Détails": r.details or ""} for r in log.rows],
           "Aucune opération enregistrée.",
           column_config={"Détails": st.column_config.TextColumn(width="large")})
    if log.rows:
        paging.pager(JOURNAL, log, "opération")
        st.caption("Les plus récentes d'abord.")


def demo_tab(actor: Actor) -> None:
    if not settings().demo_mode:
        st.info("Le mode démonstration est désactivé (DEMO_MODE=0) : la réinitialisation "
                "n'est pas disponible.", icon=":material/info:")
        return
    form = "admin_reset"
    key = form_key(form)
    st.warning(
        "Réinitialiser la démo **efface toute la base** (licences, historiques, fichiers, "
        "utilisateurs et sociétés créés, journal d'administration) puis recrée les comptes et "
        "des licences de démonstration. Les comptes ajoutés disparaissent.",
        icon=":material/warning:")
    with st.form(key, border=True):
        count = st.number_input("Licences de démonstration", min_value=0,
                                max_value=admin.MAX_DEMO_LICENCES, value=120, step=10,
                                key=f"{key}_licences")
        field_error(form, "licences")
        word = st.text_input(f"Tapez {CONFIRM_WORD} pour confirmer", key=f"{key}_word")
        field_error(form, "confirm")
        if st.form_submit_button("Réinitialiser la démo", type="primary"):

            def reset() -> int:
                if word.strip() != CONFIRM_WORD:  # a confirmation of this screen, not a rule
                    raise ValidationFailed(
                        {"confirm": f"Tapez exactement {CONFIRM_WORD} pour confirmer."})
                bar = st.progress(0.0, text="Réinitialisation…")

                def progress(done: int, total: int) -> None:
                    bar.progress(done / max(total, 1), text=f"{done} / {total} licences créées")

                return admin.reset_demo(actor, int(count), progress=progress)

            created = call(form, reset, rerun=False, renew=True)
            if created is not None:
                _refresh_caches()
                st.session_state.pop(REPORT_KEY, None)
                flash(f"Démonstration réinitialisée : {created} licence(s) créée(s).")
            st.rerun()
    other_errors(form, {"licences", "confirm"})

"""The tabs of the administration page. Each one reads through `core.admin` and sends every
change through one `core.admin` call (`ui.forms.call`): rules and the audit log live there."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from core import accounts, admin
from core.config import settings
from core.lifecycle import ROLE_LABELS, Role
from core.reference import LIST_LABELS, ImportReport
from core.views import Actor
from ui import format as fmt
from ui.forms import call, clear, field_error, flash, other_errors

TABS = ("Utilisateurs", "Sociétés", "Référentiels", "Nomenclature", "Journal", "Démonstration")
TAB_KEY = "admin_tab"
REPORT_KEY = "eld_admin_import_report"
JOURNAL_PAGE = "admin_journal_page"
CONFIRM_WORD = "RÉINITIALISER"
ROLES = tuple(Role)


def _generation(form: str) -> int:
    """Bumped after a successful submit, so the form's widgets come back empty."""
    return int(st.session_state.get(f"eld_gen_{form}", 0))


def _submit(form: str, fn: Callable[[], object], success: str) -> None:
    """Submit a creation form; on success its widgets are emptied, on refusal they keep the
    input next to the messages."""
    call(form, fn, success, rerun=False)
    if not st.session_state.get(f"eld_errors_{form}"):
        st.session_state[f"eld_gen_{form}"] = _generation(form) + 1
    st.rerun()


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
    gen = _generation(form)
    st.markdown("#### Créer un utilisateur")
    with st.form(f"{form}_{gen}", border=True):
        username = st.text_input("Nom d'utilisateur", max_chars=60, key=f"{form}_{gen}_username",
                                 help="Lettres minuscules, chiffres, . _ -")
        field_error(form, "username")
        full_name = st.text_input("Nom complet", max_chars=200, key=f"{form}_{gen}_full_name")
        field_error(form, "full_name")
        password = st.text_input("Mot de passe", type="password",
                                 max_chars=accounts.MAX_PASSWORD_CHARS,
                                 key=f"{form}_{gen}_password",
                                 help=f"{accounts.PASSWORD_HELP} Provisoire : l'utilisateur le "
                                      "remplace à sa première connexion.")
        field_error(form, "password")
        role = st.selectbox("Profil", ROLES, format_func=lambda r: ROLE_LABELS[r],
                            key=f"{form}_{gen}_role")
        field_error(form, "role")
        company = st.selectbox("Société (obligatoire pour un exportateur)", list(companies),
                               format_func=lambda c: companies[c], key=f"{form}_{gen}_company")
        field_error(form, "company_id")
        if st.form_submit_button("Créer l'utilisateur", type="primary"):
            _submit(form, lambda: admin.create_user(actor, username, full_name, password,
                                                    str(role), _company(company)),
                    f"Utilisateur {username.strip().lower()} créé : il choisira son mot de "
                    "passe à sa première connexion.")
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
    a, b = st.columns(2)
    with a:
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
    with b:
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
    gen = _generation(form)
    with st.form(f"{form}_{gen}", border=True):
        st.markdown("**Réinitialiser le mot de passe**")
        password = st.text_input("Nouveau mot de passe", type="password",
                                 max_chars=accounts.MAX_PASSWORD_CHARS,
                                 key=f"{form}_{gen}_password",
                                 help=f"{accounts.PASSWORD_HELP} Provisoire : l'utilisateur le "
                                      "remplace à sa prochaine connexion.")
        field_error(form, "password")
        if st.form_submit_button("Réinitialiser le mot de passe"):
            _submit(form, lambda: admin.reset_password(actor, user.id, password),
                    f"Mot de passe de {user.username} réinitialisé ; ses sessions sont fermées "
                    "et il le remplacera à sa prochaine connexion.")
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
    gen = _generation(form)
    st.markdown("#### Créer une société exportatrice")
    with st.form(f"{form}_{gen}", border=True):
        name = st.text_input("Raison sociale", max_chars=200, key=f"{form}_{gen}_name")
        field_error(form, "name")
        ice = st.text_input("ICE (Identifiant Commun de l'Entreprise)", max_chars=15,
                            key=f"{form}_{gen}_ice", help="15 chiffres")
        field_error(form, "ice")
        if st.form_submit_button("Créer la société", type="primary"):
            _submit(form, lambda: admin.create_company(actor, name, ice),
                    f"Société {name.strip()} créée.")
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
        gen = _generation(form)
        st.markdown("#### Ajouter un élément")
        with st.form(f"{form}_{gen}", border=True):
            code = st.text_input("Code", max_chars=20, key=f"{form}_{gen}_code",
                                 help="Lettres majuscules et chiffres, 20 au plus")
            field_error(form, "code")
            label = st.text_input("Libellé", max_chars=200, key=f"{form}_{gen}_label")
            field_error(form, "label")
            if st.form_submit_button("Ajouter", type="primary"):
                _submit(form, lambda: _changed(admin.add_reference_item(
                    actor, list_name, code, label)), f"Code {code.strip().upper()} ajouté.")
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
    a, b, c = st.columns(3)
    a.metric("Codes ajoutés", report.inserted)
    b.metric("Codes mis à jour", report.updated)
    c.metric("Lignes rejetées", len(report.rejected))
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
    number = int(st.session_state.get(JOURNAL_PAGE, 1))
    log = admin.audit_log(actor, number)
    if number != log.page:  # fewer pages than before (demo reset): back within range
        st.session_state[JOURNAL_PAGE] = log.page
    _table([{fmt.with_local_time("Date"): fmt.datetime(r.occurred_at), "Utilisateur": r.username,
             "Action": r.action_label, "Détails": r.details or ""} for r in log.rows],
           "Aucune opération enregistrée.",
           column_config={"Détails": st.column_config.TextColumn(width="large")})
    left, right = st.columns([1, 4], vertical_alignment="bottom")
    with left:
        st.number_input("Page", min_value=1, max_value=log.page_count, step=1, key=JOURNAL_PAGE)
    with right:
        st.caption(f"Page {log.page} / {log.page_count} — {log.total} opération(s), "
                   "les plus récentes d'abord.")


def demo_tab(actor: Actor) -> None:
    if not settings().demo_mode:
        st.info("Le mode démonstration est désactivé (DEMO_MODE=0) : la réinitialisation "
                "n'est pas disponible.", icon=":material/info:")
        return
    form = "admin_reset"
    gen = _generation(form)
    st.warning(
        "Réinitialiser la démo **efface toute la base** (licences, historiques, fichiers, "
        "utilisateurs et sociétés créés, journal d'administration) puis recrée les comptes et "
        "des licences de démonstration. Les comptes ajoutés disparaissent.",
        icon=":material/warning:")
    with st.form(f"{form}_{gen}", border=True):
        count = st.number_input("Licences de démonstration", min_value=0,
                                max_value=admin.MAX_DEMO_LICENCES, value=120, step=10,
                                key=f"{form}_{gen}_licences")
        field_error(form, "licences")
        word = st.text_input(f"Tapez {CONFIRM_WORD} pour confirmer", key=f"{form}_{gen}_word")
        field_error(form, "confirm")
        if st.form_submit_button("Réinitialiser la démo", type="primary"):
            if word.strip() != CONFIRM_WORD:
                st.session_state[f"eld_errors_{form}"] = {
                    "confirm": f"Tapez exactement {CONFIRM_WORD} pour confirmer."}
                st.rerun()
            clear(form)
            bar = st.progress(0.0, text="Réinitialisation…")

            def progress(done: int, total: int) -> None:
                bar.progress(done / max(total, 1), text=f"{done} / {total} licences créées")

            done = call(form, lambda: admin.reset_demo(actor, int(count), progress=progress),
                        rerun=False)
            if done is not None:
                _refresh_caches()
                st.session_state.pop(REPORT_KEY, None)
                st.session_state[f"eld_gen_{form}"] = gen + 1
                flash(f"Démonstration réinitialisée : {done} licence(s) créée(s).")
            st.rerun()
    other_errors(form, {"licences", "confirm"})

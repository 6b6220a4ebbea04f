"""Command line: `python -m core --help`."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable
from pathlib import Path

from core import accounts, reference, seed
from core.config import settings
from core.database import current_url, set_default_url
from core.errors import DomainError, NotAllowed
from core.lifecycle import Role
from core.reference import prepare_database

DEMO_ONLY = ("La démonstration n'est possible qu'avec DEMO_MODE=1 : ses comptes ont un mot de "
             "passe public.")


def _progress(label: str) -> Callable[[int, int], None]:
    start = time.monotonic()

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        rate = done / max(time.monotonic() - start, 1e-9)
        sys.stderr.write(
            f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} ({rate:,.0f}/s)"
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def cmd_init(_: argparse.Namespace) -> None:
    prepare_database()
    print(f"Base prête (schéma à jour) : {_safe_url()}")


def _demo_only() -> None:
    if not settings().demo_mode:
        raise NotAllowed(DEMO_ONLY)


def cmd_seed(args: argparse.Namespace) -> None:
    _demo_only()
    prepare_database()
    start = time.monotonic()
    count = seed.seed_demo(args.licences, seed=args.seed, progress=_progress("Licences"))
    print(f"{count} licences de démonstration créées en {time.monotonic() - start:.1f} s.")


def cmd_reset(args: argparse.Namespace) -> None:
    _demo_only()
    if not args.yes and sys.stdin.isatty():
        answer = input("Tout effacer et recréer la démonstration ? [o/N] ")
        if answer.strip().lower() not in {"o", "oui", "y", "yes"}:
            print("Abandon.")
            return
    seed.reset_database()
    start = time.monotonic()
    count = seed.seed_demo(args.licences, progress=_progress("Licences"))
    print(f"Démonstration réinitialisée : {count} licences en {time.monotonic() - start:.1f} s.")


def cmd_ensure_demo(args: argparse.Namespace) -> None:
    """Used by `make run`: create, migrate and fill the database on first start only."""
    prepare_database()
    if not settings().demo_mode:
        print(f"Base prête, sans données de démonstration (DEMO_MODE=0) : {_safe_url()}")
        return
    from sqlalchemy import func, select

    from core.database import read_session
    from core.models import Licence

    with read_session() as session:
        count = session.scalar(select(func.count()).select_from(Licence)) or 0
    if count == 0:
        cmd_seed(args)
    else:
        print(f"Base existante : {count} licences.")


def cmd_create_user(args: argparse.Namespace) -> None:
    prepare_database()
    password = args.password or getpass.getpass("Mot de passe : ")
    company_id = None
    if args.role == Role.EXPORTER:
        if not (args.company_name and args.ice):
            raise SystemExit("Un exportateur demande --company-name et --ice.")
        company_id = _company(args.company_name, args.ice)
    # The operator chose the password: its owner replaces it at the first login.
    user_id = accounts.create_user(args.username, args.full_name or args.username, password,
                                   args.role, company_id, must_change=True, demo_allowed=False)
    print(f"Utilisateur {args.username} créé (id {user_id}, profil {args.role}) ; il changera "
          "son mot de passe à la première connexion.")


def cmd_set_password(args: argparse.Namespace) -> None:
    prepare_database()
    password = args.password or getpass.getpass("Nouveau mot de passe : ")
    accounts.set_password(args.username, password)
    print(f"Mot de passe de {args.username.strip().lower()} changé ; les sessions ouvertes sont "
          "fermées et il sera à remplacer à la prochaine connexion.")


def cmd_disable_demo(_: argparse.Namespace) -> None:
    prepare_database()
    names = accounts.disable_demo_accounts()
    if names:
        print(f"{len(names)} compte(s) désactivé(s) : {', '.join(names)}")
    else:
        print("Aucun compte actif n'a le mot de passe de démonstration.")


def _company(name: str, ice: str) -> int:
    from sqlalchemy import select

    from core.database import read_session
    from core.models import Company

    with read_session() as session:
        existing = session.scalar(select(Company.id).where(Company.ice == ice))
    return existing or accounts.create_company(name, ice)


def cmd_import(args: argparse.Namespace) -> None:
    prepare_database()
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SystemExit(f"Erreur : fichier introuvable ou illisible : {path} ({exc.strerror})."
                         ) from None
    report = reference.import_nomenclature(path.name, data, progress=_progress("Nomenclature"))
    print(f"{report.inserted} codes ajoutés, {report.updated} mis à jour, "
          f"{len(report.rejected)} lignes rejetées.")
    for line, code, reason in report.rejected[:50]:
        print(f"  ligne {line} {code}: {reason}")


def cmd_expire(_: argparse.Namespace) -> None:
    from core.access import run_expiry

    print(f"{run_expiry()} licence(s) passée(s) en « Expirée ».")


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(current_url()).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core",
                                     description="Export Licence Desk — administration")
    parser.add_argument("--database", help="URL SQLAlchemy (sinon DATABASE_URL ou db/licences.sqlite3)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="créer ou mettre à jour la base").set_defaults(func=cmd_init)
    p = sub.add_parser("seed-demo", help="ajouter des comptes et licences de démonstration")
    p.add_argument("--licences", type=int, default=120)
    p.add_argument("--seed", type=int, default=2026)
    p.set_defaults(func=cmd_seed)
    p = sub.add_parser("ensure-demo", help="initialiser et remplir la base si elle est vide")
    p.add_argument("--licences", type=int, default=120)
    p.add_argument("--seed", type=int, default=2026)
    p.set_defaults(func=cmd_ensure_demo)
    p = sub.add_parser("reset-demo", help="tout effacer et recréer la démonstration")
    p.add_argument("--licences", type=int, default=120)
    p.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")
    p.set_defaults(func=cmd_reset)
    p = sub.add_parser("create-user", help="créer un utilisateur")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--full-name")
    p.add_argument("--password", help="sinon demandé au clavier")
    p.add_argument("--company-name")
    p.add_argument("--ice", help="ICE de la société (15 chiffres)")
    p.set_defaults(func=cmd_create_user)
    p = sub.add_parser("set-password",
                       help="donner un nouveau mot de passe (à changer à la connexion suivante)")
    p.add_argument("username")
    p.add_argument("--password", help="sinon demandé au clavier")
    p.set_defaults(func=cmd_set_password)
    sub.add_parser("disable-demo-accounts",
                   help="désactiver les comptes qui ont encore le mot de passe de démonstration"
                   ).set_defaults(func=cmd_disable_demo)
    p = sub.add_parser("import-nomenclature", help="importer une nomenclature (CSV ou Excel)")
    p.add_argument("file")
    p.set_defaults(func=cmd_import)
    sub.add_parser("expire", help="appliquer les expirations dues").set_defaults(func=cmd_expire)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.database:
        set_default_url(args.database)
    try:
        args.func(args)
    except DomainError as exc:
        print(f"Erreur : {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""*Aide* panels of the counterparties' screens (to be merged into `ui.help.HELP`)."""

HELP_CIRCUIT = {
    "visa": """
La **file d'attente** liste les licences **soumises pour visa MCE**, la plus ancienne en premier,
avec le temps d'attente depuis la soumission.

1. Choisissez une licence dans la liste **Licence** : son détail complet s'affiche (données,
   pays, factures, documents, marchandises) et son **Historique** reste consultable.
2. Décidez :
   - **Accorder le visa** : le numéro de visa est proposé (modifiable) et la **fin de validité**
     vaut par défaut la date du jour plus la durée réglementaire ; vous pouvez en choisir une
     autre. La licence passe à l'état *Visée*.
   - **Refuser** : le motif est obligatoire ; la licence passe à l'état *Refusée* (définitif).
   - **Renvoyer pour correction** : le motif est obligatoire ; la licence revient en
     *Brouillon* chez l'exportateur, qui voit le motif et la soumet à nouveau.
3. L'onglet **Historique des décisions** retrouve les décisions passées par numéro (ou début de
   numéro), type de décision et période.
""",
    "imputation": """
La liste présente les licences **visées** ou **imputées partiellement** encore valides, la fin
de validité la plus proche en premier. **Rechercher** retrouve une licence par son numéro
(ou son début).

1. Choisissez une licence : pour chaque marchandise, la **quantité licenciée**, la **quantité
   imputée**, la **quantité restante** et la **valeur imputée**.
2. Saisissez la déclaration : **Référence de la déclaration**, **Date**, **Bureau douanier**, puis
   pour chaque ligne exportée la **Quantité à imputer** et la **Valeur déclarée** (laissez vides
   les lignes non concernées). Cliquez sur **Imputer**.
3. Une quantité ne peut jamais dépasser le reste à imputer, et une même référence de déclaration
   n'est acceptée qu'une fois par licence (un message répété ne compte pas deux fois).
4. Tant qu'il reste une quantité, la licence est *Imputée partiellement* ; toutes les quantités
   restantes à zéro : *Imputée totalement*. Une licence dont la validité a expiré ne peut plus
   être imputée.
""",
    "repatriation": """
La liste présente les licences **imputées** (partiellement ou totalement) avec, dans la devise de
la licence, la valeur **imputée**, le montant **rapatrié** et le **reste dû**.

1. Choisissez une licence : ses justificatifs de rapatriement déjà enregistrés s'affichent.
2. **Ajouter un justificatif** : **Montant**, **Date**, **Référence bancaire** (une seule fois par
   licence) et l'avis de rapatriement en PDF (**Sélectionner**, 3 Mo au plus), puis
   **Enregistrer**.
3. **Apurer** : possible lorsque l'imputation est close (imputation totale, ou fin de validité
   atteinte après une imputation partielle) et que le montant rapatrié couvre la valeur imputée.
   La licence passe alors à l'état *Apurée* (définitif).
""",
}

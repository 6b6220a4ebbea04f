"""The guide's steps, screen by screen, for the *Aide* panels."""

HELP = {
    "home": """
**Démarrage.** Depuis le menu de navigation : *Exportation → Licence et Documents*, puis
*Nouvelle Licence d'Exportation*, *Gestion des Licences d'Exportation* ou
*Consulter des Licences d'Exportation*.

La licence suit un circuit : souscription, visa du Ministère du Commerce Extérieur, imputation
douanière, justificatifs de rapatriement des recettes et apurement. Tant qu'elle n'est pas
imputée, elle peut être modifiée ou annulée.
""",
    "new": """
1. Renseignez les données de la licence : **Destinataire** (facultatif), **Catégorie** (LE par
   défaut), **Montant total**, **Devise**, **Régime douanier**, **Bureau douanier**,
   **Modalité de paiement** (Vente ferme), **Incoterm**.
2. Cliquez sur **Sauvegarder** pour créer la licence, ou sur **Retour**.
3. Le **numéro d'enregistrement** est attribué automatiquement : c'est l'identifiant unique.
4. **Pays de destination** : choisissez un pays puis **Ajouter** ; la corbeille le retire. Au moins un.
5. **Factures** : **Ajouter**, puis Montant, Date et le PDF (**Sélectionner**). La devise est figée
   à celle de la licence. Au moins une facture.
6. **Documents** (facultatif) : type, description, date et PDF de 3 Mo au plus.
7. **Marchandises** : désignation commerciale, pays d'origine, quantité, poids net, unités
   complémentaires et nomenclature douanière (la **loupe** : recherchez, puis **Choisir**).
   Au moins une marchandise.
8. Une fois la licence complète : **Soumettre pour visa**, **Annuler** (avec le motif),
   **Sauvegarder**, **Fermer** ou **Retour**.
""",
    "manage": """
Par défaut, les **10 dernières licences** de votre société sont affichées ; le formulaire de
recherche retrouve les plus anciennes.

Pour chaque licence : **Historique** (toutes les opérations, exportables vers Excel avec
**Exporter**), **Modifier** (les opérations que permet l'état : poursuivre la souscription,
demande de visa MCE, demande de modification, annulation avec motif) et **Copier** dans une
nouvelle licence.

Une licence **soumise pour visa MCE** ne peut plus être modifiée avant le retour du Ministère ;
son historique reste consultable. Une licence peut être annulée tant qu'elle n'a pas fait
l'objet d'une imputation douanière.
""",
    "consult": """
La consultation affiche les **10 licences récentes ayant été actionnées** (soumises pour visa MCE,
visées, etc.), la dernière opération d'abord, sans possibilité de les modifier.

Sélectionnez une licence parmi les résultats : **Historique** ou **Détail**. Dans le détail,
**Imprimer** télécharge la licence en PDF et **Imprimer Vide** le formulaire vierge.
""",
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

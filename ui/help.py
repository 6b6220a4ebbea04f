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
}

from ui.help_circuit import HELP_CIRCUIT  # noqa: E402

HELP.update(HELP_CIRCUIT)

"""The fixed words both outputs print (Contents, Notes, …), one catalogue per language."""

from __future__ import annotations

CATALOGUES: dict[str, dict[str, str]] = {
    "en": {
        "contents": "Contents",
        "notes": "Notes",
        "recommendation": "Recommendation",
        "recommendations": "Recommendations",
        "good_practice": "Good-practice example",
        "box": "Box",
        "page": "Page {n}",
        "page_of": "Page {n} of {total}",
        "summary_of_recommendations": "Summary of recommendations",
        "draft": "Draft",
        "in_collaboration_with": "In collaboration with",
        "figure": "Figure",
        "section": "Section",
        "quote_open": "\u201c",
        "quote_close": "\u201d",
    },
    "fr": {
        "contents": "Table des matières",
        "notes": "Notes",
        "recommendation": "Recommandation",
        "recommendations": "Recommandations",
        "good_practice": "Exemple de bonne pratique",
        "box": "Encadré",
        "page": "Page {n}",
        "page_of": "Page {n} sur {total}",
        "summary_of_recommendations": "Récapitulatif des recommandations",
        "draft": "Projet",
        "in_collaboration_with": "En collaboration avec",
        "figure": "Figure",
        "section": "Section",
        "quote_open": "«\u00a0",
        "quote_close": "\u00a0»",
    },
    "es": {
        "contents": "Índice",
        "notes": "Notas",
        "recommendation": "Recomendación",
        "recommendations": "Recomendaciones",
        "good_practice": "Ejemplo de buena práctica",
        "box": "Recuadro",
        "page": "Página {n}",
        "page_of": "Página {n} de {total}",
        "summary_of_recommendations": "Resumen de las recomendaciones",
        "draft": "Borrador",
        "in_collaboration_with": "En colaboración con",
        "figure": "Figura",
        "section": "Sección",
        "quote_open": "«",
        "quote_close": "»",
    },
    "ru": {
        "contents": "Содержание",
        "notes": "Примечания",
        "recommendation": "Рекомендация",
        "recommendations": "Рекомендации",
        "good_practice": "Пример передовой практики",
        "box": "Вставка",
        "page": "Страница {n}",
        "page_of": "Страница {n} из {total}",
        "summary_of_recommendations": "Сводка рекомендаций",
        "draft": "Проект",
        "in_collaboration_with": "В сотрудничестве с",
        "figure": "Рисунок",
        "section": "Раздел",
        "quote_open": "«",
        "quote_close": "»",
    },
}


def labels(language: str) -> dict[str, str]:
    """The catalogue for a BCP 47 tag ("fr", "fr-CH"…), falling back to English per key."""
    base = language.split("-")[0].lower()
    return {**CATALOGUES["en"], **CATALOGUES.get(base, {})}

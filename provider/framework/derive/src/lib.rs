//! `#[derive(Model)]`: a Terraform object declared once, as a Rust struct.
//!
//! Each resource, data source, action, list resource and the provider block used to name every
//! attribute three or four times (schema, state builder, config reader, import), as strings, so
//! a typo surfaced only when Terraform ran. Here the struct is the single declaration: the
//! derive generates, from its fields,
//!
//! * the schema (`Model::block`): attribute names from field names (or `name = "..."`), types
//!   from the Rust types (`tfframework::TfType`), descriptions from the fields' doc comments,
//!   and behaviours from `#[tf(...)]`;
//! * the codecs (`FromValue`, `ToValue`) between the struct and a cty object value, with
//!   diagnostics naming the attribute on a mismatch;
//! * a plan-time twin `<Name>Plan` (`Model::Plan`) in which every attribute may also be null or
//!   unknown, for configuration and plans, where values are not known yet.
//!
//! * a constant per attribute name (`Name::FIELD`), for diagnostics that point at it.
//!
//! Nothing happens at run time by reflection: a missing or misspelt name is a compile error.
//!
//! Field options, in `#[tf(...)]`:
//! `required`, `optional`, `computed` (an attribute needs at least one; `optional, computed`
//! combine), `sensitive`, `write_only`, `deprecated`, `replace` (a change forces replacement),
//! `state_for_unknown` (keep the prior value instead of unknown), `default = EXPR` (makes it
//! optional+computed), `validator = EXPR` (repeatable), `name = "..."`; `block` (a nested
//! block; the field's type is `Option<M>` for a single block or `Vec<M>` for a list of them)
//! with optional `min_items = N`, `max_items = N`; `nested` (a nested attribute, `M`/`Option<M>`
//! single, `Vec<M>` list, `BTreeMap<String, M>` map). Struct option: `plan = Name` renames the
//! twin. The struct's doc comment becomes the block's description.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{
    parse_macro_input, Attribute, Data, DeriveInput, Expr, Fields, GenericArgument, Ident, LitInt,
    LitStr, PathArguments, Type, Visibility,
};

#[proc_macro_derive(Model, attributes(tf))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Where a field sits in the schema.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Attribute,
    Block,
    Nested,
}

/// How the objects of a block or nested attribute are collected.
#[derive(Clone, Copy)]
enum Nesting {
    Single,
    List,
    Map,
}

struct FieldSpec {
    ident: Ident,
    ty: Type,
    vis: Visibility,
    name: String,
    doc: String,
    kind: Kind,
    flags: Vec<Ident>,
    defaults: Vec<Expr>,
    validators: Vec<Expr>,
    min_items: Option<LitInt>,
    max_items: Option<LitInt>,
}

const FLAGS: &[&str] = &[
    "required",
    "optional",
    "computed",
    "sensitive",
    "write_only",
    "deprecated",
    "replace",
    "state_for_unknown",
];

fn expand(input: DeriveInput) -> syn::Result<TokenStream2> {
    let ident = input.ident.clone();
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "#[derive(Model)] does not support generics",
        ));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.span(),
            "#[derive(Model)] needs a struct",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new(
            input.span(),
            "#[derive(Model)] needs named fields",
        ));
    };
    let mut plan_ident = format_ident!("{}Plan", ident);
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("tf")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("plan") {
                plan_ident = meta.value()?.parse()?;
                Ok(())
            } else {
                Err(meta.error("unknown struct option; expected `plan = Name`"))
            }
        })?;
    }
    let fields = named
        .named
        .iter()
        .map(field_spec)
        .collect::<syn::Result<Vec<_>>>()?;
    let doc = doc_of(&input.attrs);
    let vis = &input.vis;

    let names: Vec<&String> = fields.iter().map(|f| &f.name).collect();
    let schema_parts = fields
        .iter()
        .map(schema_part)
        .collect::<syn::Result<Vec<_>>>()?;
    let decode = fields
        .iter()
        .map(|f| {
            let (fi, name) = (&f.ident, &f.name);
            quote! { #fi: ::tfframework::model::field(entries, #name, path)? }
        })
        .collect::<Vec<_>>();
    let encode = fields
        .iter()
        .map(|f| {
            let (fi, name) = (&f.ident, &f.name);
            quote! { (#name, ::tfframework::ToValue::to_value(&self.#fi)) }
        })
        .collect::<Vec<_>>();
    let plan_fields = fields.iter().map(|f| {
        let (fi, ty, fvis) = (&f.ident, &f.ty, &f.vis);
        let doc = &f.doc;
        quote! {
            #[doc = #doc]
            #fvis #fi: <#ty as ::tfframework::model::Plannable>::PlanType
        }
    });
    let to_plan = fields.iter().map(|f| {
        let fi = &f.ident;
        quote! { #fi: ::tfframework::model::Plannable::to_plan(&self.#fi) }
    });
    let name_consts = fields.iter().map(|f| {
        let konst = format_ident!(
            "{}",
            f.ident.to_string().trim_start_matches("r#").to_uppercase()
        );
        let (name, fi) = (&f.name, &f.ident);
        let doc = format!("The attribute name of [`{ident}::{fi}`], for diagnostics' paths.");
        quote! {
            #[doc = #doc]
            pub const #konst: &'static str = #name;
        }
    });
    let plan_doc = format!(
        "[`{ident}`] as configuration and plans carry it: every attribute may also be null or unknown."
    );

    Ok(quote! {
        impl #ident {
            #(#name_consts)*
        }

        impl ::tfframework::Model for #ident {
            type Plan = #plan_ident;

            const NAMES: &'static [&'static str] = &[#(#names),*];

            fn block() -> ::tfframework::BlockSchema {
                let block = ::tfframework::BlockSchema::new().description(#doc);
                #(let block = #schema_parts;)*
                block
            }

            fn plan(&self) -> #plan_ident {
                #plan_ident { #(#to_plan),* }
            }
        }

        impl ::tfframework::FromValue for #ident {
            fn from_value(
                value: &::tfframework::Value,
                path: &::tfframework::AttributePath,
            ) -> ::core::result::Result<Self, ::tfframework::Diagnostic> {
                let entries = ::tfframework::model::object_entries(value, path)?;
                ::core::result::Result::Ok(#ident { #(#decode),* })
            }
        }

        impl ::tfframework::ToValue for #ident {
            fn to_value(&self) -> ::tfframework::Value {
                ::tfframework::model::object([#(#encode),*])
            }
        }

        impl ::tfframework::TfType for #ident {
            fn tf_type() -> ::tfframework::Type {
                <Self as ::tfframework::Model>::block().implied_type()
            }
        }

        impl ::tfframework::model::Plannable for #ident {
            type PlanType = ::tfframework::Known<#plan_ident>;

            fn to_plan(&self) -> Self::PlanType {
                ::tfframework::Known::Value(<Self as ::tfframework::Model>::plan(self))
            }
        }

        #[doc = #plan_doc]
        #[derive(Clone, Debug, PartialEq)]
        #vis struct #plan_ident {
            #(#plan_fields),*
        }

        impl ::tfframework::FromValue for #plan_ident {
            fn from_value(
                value: &::tfframework::Value,
                path: &::tfframework::AttributePath,
            ) -> ::core::result::Result<Self, ::tfframework::Diagnostic> {
                let entries = ::tfframework::model::object_entries(value, path)?;
                ::core::result::Result::Ok(#plan_ident { #(#decode),* })
            }
        }

        impl ::tfframework::ToValue for #plan_ident {
            fn to_value(&self) -> ::tfframework::Value {
                ::tfframework::model::object([#(#encode),*])
            }
        }
    })
}

fn field_spec(field: &syn::Field) -> syn::Result<FieldSpec> {
    let ident = field
        .ident
        .clone()
        .ok_or_else(|| syn::Error::new(field.span(), "named field expected"))?;
    let mut spec = FieldSpec {
        name: ident.to_string().trim_start_matches("r#").to_string(),
        ident,
        ty: field.ty.clone(),
        vis: field.vis.clone(),
        doc: doc_of(&field.attrs),
        kind: Kind::Attribute,
        flags: Vec::new(),
        defaults: Vec::new(),
        validators: Vec::new(),
        min_items: None,
        max_items: None,
    };
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("tf")) {
        attr.parse_nested_meta(|meta| {
            let path = &meta.path;
            if let Some(flag) = FLAGS.iter().find(|f| path.is_ident(f)) {
                spec.flags.push(format_ident!("{}", flag));
            } else if path.is_ident("block") {
                spec.kind = Kind::Block;
            } else if path.is_ident("nested") {
                spec.kind = Kind::Nested;
            } else if path.is_ident("default") {
                spec.defaults.push(meta.value()?.parse()?);
            } else if path.is_ident("validator") {
                spec.validators.push(meta.value()?.parse()?);
            } else if path.is_ident("name") {
                spec.name = meta.value()?.parse::<LitStr>()?.value();
            } else if path.is_ident("min_items") {
                spec.min_items = Some(meta.value()?.parse()?);
            } else if path.is_ident("max_items") {
                spec.max_items = Some(meta.value()?.parse()?);
            } else {
                return Err(meta.error(
                    "unknown option; expected required, optional, computed, sensitive, write_only, deprecated, replace, state_for_unknown, default = .., validator = .., name = \"..\", block, nested, min_items = N, max_items = N",
                ));
            }
            Ok(())
        })?;
    }
    let has = |f: &str| spec.flags.iter().any(|x| x == f);
    match spec.kind {
        Kind::Attribute | Kind::Nested => {
            if !(has("required") || has("optional") || has("computed") || !spec.defaults.is_empty())
            {
                return Err(syn::Error::new(
                    spec.ident.span(),
                    "say whether this attribute is #[tf(required)], #[tf(optional)] or #[tf(computed)]",
                ));
            }
            if has("required") && (has("optional") || has("computed")) {
                return Err(syn::Error::new(
                    spec.ident.span(),
                    "a required attribute is neither optional nor computed",
                ));
            }
        }
        Kind::Block => {
            if !spec.flags.is_empty() || !spec.defaults.is_empty() || !spec.validators.is_empty() {
                return Err(syn::Error::new(
                    spec.ident.span(),
                    "a block takes only min_items/max_items; put behaviours on its attributes",
                ));
            }
        }
    }
    if spec.defaults.len() > 1 {
        return Err(syn::Error::new(spec.ident.span(), "one default only"));
    }
    Ok(spec)
}

/// The `let block = ...;` expression adding one field to the schema.
fn schema_part(f: &FieldSpec) -> syn::Result<TokenStream2> {
    let (name, doc, ty) = (&f.name, &f.doc, &f.ty);
    match f.kind {
        Kind::Block => {
            let (nesting, inner) = nesting_of(ty)?;
            let nesting = match nesting {
                Nesting::Single => quote!(::tfframework::Nesting::Single),
                Nesting::List => quote!(::tfframework::Nesting::List),
                Nesting::Map => {
                    return Err(syn::Error::new(
                        ty.span(),
                        "a block is Option<M> (single) or Vec<M> (list)",
                    ))
                }
            };
            let min = f.min_items.iter();
            let max = f.max_items.iter();
            // The field's doc describes the block in this context; without one, the model's own.
            let described = (!doc.is_empty()).then(|| quote!(.description(#doc)));
            Ok(quote! {
                block.block(
                    ::tfframework::NestedBlockSchema::new(
                        #name,
                        #nesting,
                        <#inner as ::tfframework::Model>::block() #described,
                    )
                    #(.min_items(#min))*
                    #(.max_items(#max))*
                )
            })
        }
        Kind::Attribute | Kind::Nested => {
            let start = if f.kind == Kind::Nested {
                let (nesting, inner) = nesting_of(ty)?;
                let nesting = match nesting {
                    Nesting::Single => quote!(::tfframework::Nesting::Single),
                    Nesting::List => quote!(::tfframework::Nesting::List),
                    Nesting::Map => quote!(::tfframework::Nesting::Map),
                };
                quote! {
                    ::tfframework::AttributeSchema::nested(
                        #name,
                        #nesting,
                        <#inner as ::tfframework::Model>::block().attributes,
                    )
                }
            } else {
                quote! {
                    ::tfframework::AttributeSchema::new(
                        #name,
                        <#ty as ::tfframework::TfType>::tf_type(),
                    )
                }
            };
            let flags = f.flags.iter().map(|flag| match flag.to_string().as_str() {
                "replace" => quote!(.requires_replace()),
                "state_for_unknown" => quote!(.use_state_for_unknown()),
                _ => quote!(.#flag()),
            });
            let defaults = f.defaults.iter();
            let validators = f.validators.iter();
            Ok(quote! {
                block.attribute(
                    #start
                    .description(#doc)
                    #(#flags)*
                    #(.default(::tfframework::ToValue::to_value(&(#defaults))))*
                    #(.validator(#validators))*
                )
            })
        }
    }
}

/// The nesting a block or nested attribute's Rust type implies, and the model type inside.
fn nesting_of(ty: &Type) -> syn::Result<(Nesting, Type)> {
    let Some((outer, args)) = last_segment(ty) else {
        return Ok((Nesting::Single, ty.clone()));
    };
    match (outer.as_str(), args.as_slice()) {
        ("Option", [inner]) => match last_segment(inner) {
            Some((o, _)) if o == "Vec" || o == "BTreeMap" => {
                let (nesting, model) = nesting_of(inner)?;
                Ok((nesting, model))
            }
            _ => Ok((Nesting::Single, inner.clone())),
        },
        ("Vec", [inner]) => Ok((Nesting::List, inner.clone())),
        ("BTreeMap", [_, inner]) => Ok((Nesting::Map, inner.clone())),
        _ => Ok((Nesting::Single, ty.clone())),
    }
}

/// `Foo<A, B>` → ("Foo", [A, B]).
fn last_segment(ty: &Type) -> Option<(String, Vec<Type>)> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let args = match &seg.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some((seg.ident.to_string(), args))
}

/// Doc comment lines, one leading space dropped from each, joined as Markdown.
fn doc_of(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|l| l.strip_prefix(' ').unwrap_or(&l).to_string())
        .collect();
    // Single line breaks are wrapping inside a paragraph; blank lines separate paragraphs.
    lines
        .split(|l| l.trim().is_empty())
        .filter(|p| !p.is_empty())
        .map(|p| p.join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}
